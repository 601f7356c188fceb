"""Asking a live run to stop: the engine saves a checkpoint at the end of its current step and exits."""

from __future__ import annotations

from pathlib import Path

from engine.errors import FtTuiError
from engine.runs.process import send_stop, stop_workers
from engine.runs.registry import live_pid, read_launch
from engine.runs.status import read_status


class RunControlError(FtTuiError):
    """The run cannot be signalled (it is not running); the message says so."""


def stop_run(run_dir: Path) -> None:
    """Send SIGTERM to the run's process group; the engine answers with `finished(status="stopped")`.

    A multi-process run's ranks are signalled themselves, not their launcher: torchrun would forward the signal but
    kill ranks still saving their checkpoint 30 seconds later. The ranks agree on the step to stop at and save one
    checkpoint together; the launcher exits when they have.
    """
    launch = read_launch(run_dir.resolve())
    status = read_status(run_dir)
    pid = live_pid(launch, status)
    if pid is None:
        raise RunControlError(f"{run_dir}: the run is not running, so there is nothing to stop")
    if launch is not None and launch.nproc > 1 and pid == launch.pid and stop_workers(pid):
        return
    send_stop(pid)
