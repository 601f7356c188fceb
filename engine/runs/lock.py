"""One run per output folder: a lock file naming its owner's pid (claimed through engine.runs.folder).

Two engines writing one folder interleave their events and overwrite each other's checkpoints and adapter, and
both report success. Every engine run (foreground or detached) claims its output folder before it writes
anything there; the claim is a lock file created atomically (a hard link of a complete temporary file), holding
the owner's pid and process start time. A lock whose owner is dead (or whose pid now belongs to another process)
is stale and taken over.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from engine.atomic import create_exclusive
from engine.errors import FtTuiError
from engine.runs.paths import LOCK_FILE
from engine.runs.process import command_line, is_alive, parent_of, start_token
from engine.runs.registry import read_launch

MAX_ANCESTORS = 8
LOCK_ATTEMPTS = 3
"""Takeovers of a stale lock before giving up: another run keeps claiming the folder."""


class RunLockError(FtTuiError):
    """The folder is in use by another live run, or holds a finished run; the message says what to do."""


@dataclass(frozen=True)
class LockOwner:
    pid: int
    token: str | None
    """The owner's start time (engine.runs.process.start_token): tells it from a later process with its pid."""
    command: list[str] | None = None
    """The owner's command line when it took the lock: what Stop checks before it signals the pid."""


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
        command = data.get("command")
        return LockOwner(int(data["pid"]), data.get("token"), command if isinstance(command, list) else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def create_lock(path: Path) -> bool:
    """The owner record as the lock file, appearing complete or not at all; False when a lock exists."""
    pid = os.getpid()
    owner = {"pid": pid, "token": start_token(pid), "command": command_line(pid)}
    return create_exclusive(path, json.dumps(owner))


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


def in_use(run_dir: Path, pid: int) -> str:
    return (
        f"{run_dir} is in use by another run (pid {pid}); wait for it to end, stop it with "
        f"`ft-tui monitor {run_dir}`, or set a different output_dir"
    )
