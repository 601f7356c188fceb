"""Asking a live run to stop: the engine saves a checkpoint at the end of its current step and exits.

A pid written in a run folder is only a claim: the run may have ended and its number been reused, or the folder may
have been copied from elsewhere or be shared with another user. Before any signal, the pid must be proven to be
this run's engine: named by the run's lock or launch record, alive with the start time recorded there, and running
the command line recorded there. Otherwise Stop refuses and says why; it never signals a stranger.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import FtTuiError
from engine.runs.lock import read_owner
from engine.runs.paths import LOCK_FILE
from engine.runs.process import command_line, is_alive, send_stop, start_token, stop_workers
from engine.runs.registry import read_launch


class RunControlError(FtTuiError):
    """The run cannot be signalled (it is not running, or its pid is not proven to be its engine)."""


@dataclass(frozen=True)
class Claim:
    """A pid some record in the run folder names as the run's process, and what that record says about it."""

    pid: int
    token: str | None
    command: list[str] | None
    source: str


def stop_run(run_dir: Path) -> None:
    """Send SIGTERM to the run's process group; the engine answers with `finished(status="stopped")`.

    A multi-process run's ranks are signalled themselves, not their launcher: torchrun would forward the signal but
    kill ranks still saving their checkpoint 30 seconds later. The ranks agree on the step to stop at and save one
    checkpoint together; the launcher exits when they have.
    """
    pid = engine_pid(run_dir)
    launch = read_launch(run_dir.resolve())
    try:
        if launch is not None and launch.nproc > 1 and pid == launch.pid and stop_workers(pid):
            return
        send_stop(pid)
    except PermissionError as error:
        raise RunControlError(
            f"{run_dir}: the run's engine (pid {pid}) belongs to another user; stop it as that user"
        ) from error


def engine_pid(run_dir: Path) -> int:
    """The pid of this run's engine (or its launcher), proven; RunControlError saying why when none is."""
    claims = _claims(run_dir)
    reasons = []
    for claim in claims:
        problem = _unproven(claim)
        if problem is None:
            return claim.pid
        if problem:
            reasons.append(f"{claim.source} names pid {claim.pid}, but {problem}")
    if not reasons:
        raise RunControlError(f"{run_dir}: the run is not running, so there is nothing to stop")
    raise RunControlError(f"{run_dir}: not stopping it: " + "; ".join(reasons))


def _claims(run_dir: Path) -> list[Claim]:
    """The launch record first (a multi-process run's launcher), then the lock's owner (the engine itself)."""
    claims = []
    launch = read_launch(run_dir.resolve())
    if launch is not None and launch.pid:
        claims.append(Claim(launch.pid, launch.pid_token, launch.command, "the launch record"))
    owner = read_owner(run_dir / LOCK_FILE)
    if owner is not None:
        claims.append(Claim(owner.pid, owner.token, owner.command, "the run lock"))
    return claims


def _unproven(claim: Claim) -> str | None:
    """None when the claim is proven; "" when its process is simply gone; else why it is not this run's engine."""
    if not is_alive(claim.pid):
        return ""
    if start_token(os.getpid()) is None:
        return None  # no /proc (macOS): the pid is all there is to go on
    current = start_token(claim.pid)
    if claim.token is None or current != claim.token:
        return "that process started at another time than the run's (a reused pid or a copied run folder)"
    running = command_line(claim.pid)
    if claim.command is not None and running is not None and running != claim.command:
        return f"that process runs `{' '.join(running)[:120]}`, not this run's engine"
    return None
