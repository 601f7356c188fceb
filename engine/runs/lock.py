"""One run per output folder: a lock file naming its owner's pid, and no silent overwrite of a finished run.

Two engines writing one folder interleave their events and overwrite each other's checkpoints and adapter, and
both report success. Every engine run (foreground or detached) claims its output folder before it writes
anything there; the claim is a lock file created atomically (a hard link of a complete temporary file), holding
the owner's pid and process start time. A lock whose owner is dead (or whose pid now belongs to another process)
is stale and taken over.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import create_exclusive, rename_to_new_name
from engine.errors import FtTuiError
from engine.runs.paths import LOCK_FILE
from engine.runs.process import is_alive, parent_of, start_token
from engine.runs.registry import read_launch
from engine.runs.status import read_status

MAX_ANCESTORS = 8


class RunLockError(FtTuiError):
    """The folder is in use by another live run, or holds a finished run; the message says what to do."""


@dataclass(frozen=True)
class LockOwner:
    pid: int
    token: str | None


@dataclass
class RunLock:
    """A claimed output folder; `release()` (idempotent) removes the lock if it is still ours."""

    path: Path
    pid: int
    replaced: Path | None = None
    """Where the completed run this one replaces (`force`) was moved, if there was one."""

    def release(self) -> None:
        owner = read_owner(self.path)
        if owner is not None and owner.pid == self.pid:
            self.path.unlink(missing_ok=True)


def claim_run_folder(run_dir: Path, *, resume: bool = False, force: bool = False) -> RunLock:
    """Lock `run_dir` for this process, or raise RunLockError naming the folder and the owner's pid.

    A folder whose last run completed is refused unless `resume` (continue it) or `force` (replace it: the old
    run is moved beside the folder, see `set_aside_completed_run`).
    """
    check_run_folder(run_dir, resume=resume, force=force)
    replaced = set_aside_completed_run(run_dir) if force and not resume else None
    path = run_dir / LOCK_FILE
    for _ in range(3):
        if _create(path):
            return RunLock(path, os.getpid(), replaced)
        owner = read_owner(path)
        if owner is not None and is_alive(owner.pid, owner.token):
            raise RunLockError(_in_use(run_dir, owner.pid))
        path.unlink(missing_ok=True)  # stale: its owner died without releasing it
    raise RunLockError(f"{run_dir}: cannot take the run lock {path.name}; another run keeps claiming the folder")


def check_run_folder(run_dir: Path, *, resume: bool = False, force: bool = False) -> None:
    """What `claim_run_folder` refuses, without claiming: for a launcher, before it starts an engine."""
    owner = live_owner(run_dir)
    if owner is not None:
        raise RunLockError(_in_use(run_dir, owner))
    if not (resume or force):
        _refuse_finished(run_dir)


def set_aside_completed_run(run_dir: Path) -> Path | None:
    """Rename a folder holding a completed run to `<name>.replaced-<UTC time>` beside it and recreate it empty.

    A forced run replaces the completed one, so nothing of the old run may mix with the new: appended to one events
    file the monitor would draw two histories as one, and a later `--resume` could pick the old run's later
    checkpoint. Moved, not deleted: `--force` starts over, it does not destroy a trained adapter. Returns the new
    name of the old run's folder, or None when the folder holds no completed run.
    """
    finished = read_status(run_dir).finished
    if finished is None or finished.status != "completed":
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = run_dir.with_name(f"{run_dir.name}.replaced-{stamp}")
    suffix = 1
    while target.exists():
        suffix += 1
        target = run_dir.with_name(f"{run_dir.name}.replaced-{stamp}-{suffix}")
    try:
        rename_to_new_name(run_dir, target)
        run_dir.mkdir()
    except OSError as error:
        raise RunLockError(
            f"cannot move the completed run in {run_dir} aside to {target.name}: {error.strerror or error}; "
            "set a new output_dir instead of --force"
        ) from error
    return target


def live_owner(run_dir: Path) -> int | None:
    """The pid of another live run using `run_dir`: its lock's owner, or a detached run still starting up."""
    owner = read_owner(run_dir / LOCK_FILE)
    if owner is not None and owner.pid != os.getpid() and is_alive(owner.pid, owner.token):
        return owner.pid
    launch = read_launch(run_dir)
    if launch is not None and launch.pid and is_alive(launch.pid, launch.pid_token) and not _is_us(launch.pid):
        return launch.pid
    return None


def read_owner(path: Path) -> LockOwner | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockOwner(int(data["pid"]), data.get("token"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _create(path: Path) -> bool:
    """The owner record as the lock file, appearing complete or not at all; False when a lock exists."""
    return create_exclusive(path, json.dumps({"pid": os.getpid(), "token": start_token(os.getpid())}))


def _is_us(pid: int) -> bool:
    """This process or one that started it (the detached launcher's pid is the engine's or its launcher's)."""
    current: int | None = os.getpid()
    for _ in range(MAX_ANCESTORS):
        if current is None or current <= 1:
            return False
        if current == pid:
            return True
        current = parent_of(current)
    return False


def _refuse_finished(run_dir: Path) -> None:
    finished = read_status(run_dir).finished
    if finished is not None and finished.status == "completed":
        raise RunLockError(
            f"{run_dir} already holds a completed run (step {finished.step}); set a new output_dir, "
            "pass --force to start over (the old run is moved aside), or --resume to continue it"
        )


def _in_use(run_dir: Path, pid: int) -> str:
    return (
        f"{run_dir} is in use by another run (pid {pid}); wait for it to end, stop it with "
        f"`ft-tui monitor {run_dir}`, or set a different output_dir"
    )
