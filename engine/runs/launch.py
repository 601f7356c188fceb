"""Starting the engine as a detached process that outlives the terminal, and resuming a run in place."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from engine.config import RunConfig, apply_overrides, load_config, parse_override_args, save_config
from engine.config.paths import output_dir_problem
from engine.errors import FtTuiError
from engine.runs.folder import RunFolder
from engine.runs.lock import RunLockError
from engine.runs.paths import CONSOLE_FILE, RUN_CONFIG_FILE, RUN_INFO_FILE
from engine.runs.plan import PlanError, local_processes
from engine.runs.process import adopt_child, start_token
from engine.runs.registry import LaunchInfo, read_launch, run_is_alive, run_name_of, save_launch
from engine.runs.status import RunStatus, read_status

ENGINE_COMMAND_ENV = "FT_TUI_ENGINE_COMMAND"
"""Replaces `python -m engine.train` (the monitor's tests point it at a fake engine that replays recorded events)."""


EXIT_GRACE_SECONDS = 15.0


class LaunchError(FtTuiError):
    """A run cannot be started or resumed; the message says why and what to do."""


def engine_command(nproc: int = 1) -> list[str]:
    """The command that trains a config given after it: `python -m engine.train`, under torchrun for `nproc` > 1.

    torchrun (`torch.distributed.run`, part of torch) starts `nproc` ranks on this machine with a free rendezvous
    port (`--standalone`); each rank runs the same engine command after the interpreter.
    """
    override = os.environ.get(ENGINE_COMMAND_ENV)
    command = shlex.split(override) if override else [sys.executable, "-m", "engine.train"]
    if nproc <= 1:
        return command
    return [command[0], "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *command[1:]]


def start_detached(
    config_path: Path,
    overrides: list[str] | None = None,
    resume: bool = False,
    *,
    cwd: Path | None = None,
    nproc: int | None = None,
    force: bool = False,
) -> Path:
    """Start training `config_path` in its own session and return the run folder (the config's output_dir).

    The engine's stdin is /dev/null and its output goes to console.log in the run folder, so closing the terminal
    or the TUI never stops it. The exact config (overrides applied) is copied into the run folder first, so the
    run can be resumed, chatted with or merged later from the folder alone. `nproc` > 1 starts that many
    data-parallel processes through torchrun; the run is still one run (rank 0 writes its events). None takes the
    count from the launch plan beside the config (the wizard's "Where it runs"), else 1. Raises ConfigError or
    ConfigFileError for a bad config and LaunchError when the folder already has a live run (or a completed one,
    unless `resume` or `force`) or a bad plan.
    """
    if nproc is None:
        try:
            nproc = local_processes(Path(config_path))
        except PlanError as error:
            raise LaunchError(str(error)) from error
    if nproc < 1:
        raise LaunchError(f"--nproc {nproc}: the number of processes must be 1 or more")
    cwd = (cwd or Path.cwd()).resolve()
    config = apply_overrides(load_config(config_path), parse_override_args(overrides or []))
    run_dir = RunFolder.of(config.output_dir, cwd).path.resolve()
    problem = output_dir_problem(run_dir)
    if problem:
        raise LaunchError(f"output_dir '{config.output_dir}' {problem}; set output_dir to a folder")
    _prepare_folder(run_dir, resume=resume, force=force)  # before anything of the new run is written there
    source = _source_config(Path(config_path), run_dir)
    copy = _write_run_config(config, Path(config_path), run_dir)
    command = [
        *engine_command(nproc),
        str(copy),
        *(["--resume"] if resume else []),
        *(["--force"] if force else []),
    ]
    process = _spawn(command, cwd, run_dir / CONSOLE_FILE)
    info = LaunchInfo(
        run_dir=str(run_dir),
        config_path=str(copy),
        cwd=str(cwd),
        command=command,
        pid=process.pid,
        pid_token=start_token(process.pid),
        launched_at=time.time(),
        name=run_name_of(config),
        model=config.base_model,
        nproc=nproc,
        source_config=source,
    )
    save_launch(info)
    return run_dir


def resume_run(run_dir: Path) -> Path:
    """Start the engine again with --resume on the same folder, from the same working folder and config copy, with
    as many processes as before (every rank resumes from the same checkpoint)."""
    info = read_launch(run_dir.resolve())
    if info is None:
        raise LaunchError(
            f"{run_dir} was not started by ft-tui's launcher; resume it with `ft-tui train CONFIG --resume`"
        )
    if RunFolder(run_dir).resume_checkpoint() is None:
        raise LaunchError(f"{run_dir} has no checkpoint to resume from; start a new run with `ft-tui train CONFIG`")
    return start_detached(Path(info.config_path), resume=True, cwd=Path(info.cwd), nproc=info.nproc)


def _prepare_folder(run_dir: Path, *, resume: bool, force: bool) -> None:
    """Two engines writing one folder would corrupt both runs' checkpoints and events; an earlier run's progress is
    refused or (`force`) moved aside by the folder's owner."""
    if not run_dir.is_dir():
        if run_dir.exists():
            raise LaunchError(f"output_dir '{run_dir}' is a file, not a folder; set output_dir to a folder")
        return
    status = read_status(run_dir)
    launch = read_launch(run_dir)
    if status.finished is not None:
        _wait_for_exit(launch, status)
    if run_is_alive(launch, status):
        raise LaunchError(
            f"{run_dir} already has a run in progress; watch it with `ft-tui monitor {run_dir}`, "
            "or set a different output_dir"
        )
    try:
        RunFolder(run_dir).prepare(resume=resume, force=force)  # a foreground run's lock, an earlier run
    except RunLockError as error:
        raise LaunchError(str(error)) from error


def _wait_for_exit(launch: LaunchInfo | None, status: RunStatus, seconds: float = EXIT_GRACE_SECONDS) -> None:
    """An engine writes `finished` a moment before its process is gone; a resume right after a stop waits for it."""
    deadline = time.monotonic() + seconds
    while run_is_alive(launch, status) and time.monotonic() < deadline:
        time.sleep(0.1)


def _source_config(config_path: Path, run_dir: Path) -> str:
    """The user's own config file; a resume starts from the run folder's copy, so the earlier record names it."""
    if config_path.resolve() == run_dir / RUN_CONFIG_FILE:
        launch = read_launch(run_dir)
        return launch.source_config if launch is not None else ""
    return str(config_path.resolve())


def _write_run_config(config: RunConfig, source: Path, run_dir: Path) -> Path:
    copy = run_dir / RUN_CONFIG_FILE
    if source.resolve() == copy:
        return copy
    header = (
        f"The config this run was started with (copied from {source} by ft-tui).\n"
        f"Relative paths resolve against the folder the run was started from (see {RUN_INFO_FILE})."
    )
    return save_config(config, copy, header=header)


def _spawn(command: list[str], cwd: Path, console: Path) -> subprocess.Popen[bytes]:
    console.parent.mkdir(parents=True, exist_ok=True)
    with console.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    adopt_child(process)
    return process
