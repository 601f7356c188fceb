"""The one owner of a run folder: where it is, what it holds, whether it can resume, and replacing it.

Every front end asks this module and nothing else decides: `ft-tui train` (foreground and `--detach`), the engine
itself when it claims the folder, the wizard before it launches, and the monitor for Resume and the checkpoint
list. The state comes from the disk and the lock (a live owner, the checkpoint folders, the final weights), with
the events file telling how the last process ended; a checkpoint event alone never makes a run resumable.

A fresh run never mixes with an earlier one: appended to one events file the monitor would draw two histories as
one, and a later `--resume` could pick the old run's checkpoint. So a folder holding a run's progress is refused
(with the fix: `--resume` or `--force`), and replacing it moves the old run aside to `<name>.replaced-<time>`,
never deletes it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.atomic import rename_to_new_name
from engine.config.paths import output_path
from engine.runs.checkpoints import WEIGHT_FILES, checkpoint_folders, find_checkpoints
from engine.runs.lock import LOCK_ATTEMPTS, RunLock, RunLockError, create_lock, in_use, live_owner, read_owner
from engine.runs.paths import CONFIG_FILE, LOCK_FILE
from engine.runs.process import is_alive
from engine.runs.registry import read_launch
from engine.runs.status import RunStatus, read_status

FolderState = Literal["empty", "live", "stopped", "failed", "completed"]

REPLACED_TAG = "replaced"
NEW_RUN_TAG = "new"
REPLACED_SUFFIX = f".{REPLACED_TAG}-"
"""The one scheme for "another folder for this run" (`beside`): the old run moves to `<name>.replaced-<UTC time>`;
a new run from a finished one's config writes to `<name>.new-<UTC time>`, from a config `<stem>.new-<time>.yml`."""


def beside(path: Path, tag: str) -> Path:
    """A free name beside `path` for another folder (or config file) of the same run: `<name>.<tag>-<UTC time>`,
    a file keeping its extension, with `-2`, `-3` ... when that name is taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    stem, extension = (path.stem, path.suffix) if path.suffix in (".yml", ".yaml") else (path.name, "")
    target = path.with_name(f"{stem}.{tag}-{stamp}{extension}")
    suffix = 1
    while target.exists():
        suffix += 1
        target = path.with_name(f"{stem}.{tag}-{stamp}-{suffix}{extension}")
    return target


@dataclass(frozen=True)
class NextRun:
    """Where a new run from a finished run's config goes, so nothing of the finished run is overwritten."""

    config_file: Path
    """A new config file beside the one the run was started from (never the run folder's own copy)."""
    folder: Path
    """A fresh run folder beside the finished run's."""

    def output_dir(self, configured: str) -> str:
        """The new `output_dir` as the config would say it: relative when the finished run's was."""
        if Path(configured).expanduser().is_absolute():
            return str(self.folder)
        return str(Path(configured).parent / self.folder.name)


@dataclass(frozen=True)
class RunFolder:
    """A run folder (a config's `output_dir`), resolved once: `~` expanded, relative to the working folder."""

    path: Path

    @classmethod
    def of(cls, output_dir: str | Path, cwd: Path | None = None) -> RunFolder:
        """The folder a run of `output_dir: <value>` writes to, from `cwd` (default: the current folder)."""
        return cls(output_path(str(output_dir), cwd).absolute())

    def status(self) -> RunStatus:
        return read_status(self.path)

    def live_pid(self) -> int | None:
        """The pid of another live run using the folder (its lock's owner, or a detached run still starting)."""
        return live_owner(self.path)

    def state(self) -> FolderState:
        """empty, live, stopped, failed or completed: what a new run into this folder would meet."""
        if not self.path.is_dir():
            return "empty"
        if self.live_pid() is not None:
            return "live"
        status = self.status()
        if status.finished is not None:
            return status.finished.status
        if status.events_seen:
            return "failed"  # events without an ending: the engine died (a kill, a crash)
        if self.has_final_weights():
            return "completed"
        return "stopped" if self.checkpoints() else "empty"

    def checkpoints(self) -> list[Path]:
        """The checkpoint-N folders on disk now, oldest first (save_total_limit deletes old ones as it goes)."""
        return checkpoint_folders(self.path)

    def resume_checkpoint(self) -> Path | None:
        """The newest complete checkpoint on disk, where `--resume` continues; None when there is none."""
        return find_checkpoints(self.path).latest

    def source_config(self) -> Path | None:
        """The config file the run was started from (the launcher's record), not the copy in the run folder;
        None for a run the launcher did not start or that predates the record."""
        launch = read_launch(self.path)
        return Path(launch.source_config) if launch is not None and launch.source_config else None

    def next_run(self) -> NextRun:
        """A new config file beside the original config (beside the run folder when it is not known) and a fresh
        run folder beside this one, both free names of the one scheme (`beside`)."""
        original = self.source_config() or self.path.parent / CONFIG_FILE
        return NextRun(config_file=beside(original, NEW_RUN_TAG), folder=beside(self.path, NEW_RUN_TAG))

    def has_final_weights(self) -> bool:
        return any((self.path / name).is_file() for name in WEIGHT_FILES)

    def has_progress(self) -> bool:
        """Whether the folder holds training a fresh run would lose or mix with: steps, checkpoints or weights."""
        return self.status().step > 0 or bool(self.checkpoints()) or self.has_final_weights()

    def holds_run(self) -> bool:
        """Whether a new run must ask first (the wizard) or be told `--resume`/`--force` (the command line)."""
        state = self.state()
        return state == "live" or state == "completed" or (state != "empty" and self.has_progress())

    def refusal(self, *, resume: bool = False, force: bool = False) -> str | None:
        """Why a run (fresh, `resume` or `force`) may not start here, with the fix; None when it may."""
        pid = self.live_pid()
        if pid is not None:
            return in_use(self.path, pid)
        if resume or force or not self.holds_run():
            return None
        state, step = self.state(), self.status().step
        if state == "completed":
            return (
                f"{self.path} already holds a completed run (step {step}); set a new output_dir, pass --force to "
                "start over (the old run is moved aside), or --resume to continue it"
            )
        checkpoint = self.resume_checkpoint()
        resume_fix = f"pass --resume to continue it from {checkpoint.name}, " if checkpoint else ""
        return (
            f"{self.path} holds a {state} run (step {step}) that a new run would mix with; {resume_fix}"
            f"pass --force to start over (the old run is moved to {self.path.name}{REPLACED_SUFFIX}<time>), "
            "or set a new output_dir"
        )

    def check(self, *, resume: bool = False, force: bool = False) -> None:
        """`refusal` as a RunLockError."""
        problem = self.refusal(resume=resume, force=force)
        if problem is not None:
            raise RunLockError(problem)

    def set_aside(self) -> Path | None:
        """Move the run this folder holds to `<name>.replaced-<UTC time>` beside it and recreate it empty.

        Moved, not deleted: `--force` and the wizard's Replace start over, they never destroy a trained adapter.
        Returns the new name of the old run's folder, or None when the folder holds no run.
        """
        if self.state() == "empty":
            return None
        self._refuse_to_move()
        target = beside(self.path, REPLACED_TAG)
        try:
            rename_to_new_name(self.path, target)
            self.path.mkdir()
        except OSError as error:
            raise RunLockError(
                f"cannot move the run in {self.path} aside to {target.name}: {error.strerror or error}; "
                "set a new output_dir instead"
            ) from error
        return target

    def _refuse_to_move(self) -> None:
        """The working folder or a repository is never moved from under the user."""
        cwd = Path.cwd().resolve()
        resolved = self.path.resolve()
        if resolved == cwd or resolved in cwd.parents:
            raise RunLockError(f"{self.path} holds the folder ft-tui runs in; set a new output_dir instead")
        if (self.path / ".git").exists():
            raise RunLockError(f"{self.path} is a git repository; set a new output_dir instead")

    def prepare(self, *, resume: bool = False, force: bool = False) -> Path | None:
        """Before anything of a new run is written here: refuse (see `refusal`), or with `force` move the old run
        aside. Returns where the old run went, if it was moved."""
        self.check(resume=resume, force=force)
        return self.set_aside() if force and not resume else None

    def claim(self, *, resume: bool = False, force: bool = False) -> RunLock:
        """Lock the folder for this process (after `prepare`), or raise RunLockError naming the owner's pid."""
        replaced = self.prepare(resume=resume, force=force)
        path = self.path / LOCK_FILE
        for _ in range(LOCK_ATTEMPTS):
            if create_lock(path):
                return RunLock(path, os.getpid(), replaced)
            owner = read_owner(path)
            if owner is not None and is_alive(owner.pid, owner.token):
                raise RunLockError(in_use(self.path, owner.pid))
            path.unlink(missing_ok=True)  # stale: its owner died without releasing it
        raise RunLockError(f"{self.path}: cannot take the run lock; another run keeps claiming the folder")
