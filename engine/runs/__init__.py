"""Runs outside the terminal: detached launching, the run registry, run states, and stop/resume signalling."""

from engine.runs.control import RunControlError, stop_run
from engine.runs.launch import LaunchError, resume_run, start_detached
from engine.runs.paths import CONSOLE_FILE, LOG_FILE, RUN_CONFIG_FILE, RUN_INFO_FILE, data_dir
from engine.runs.registry import LaunchInfo, RunRecord, list_runs, read_launch, run_record
from engine.runs.status import LIVE_STATES, RunState, RunStatus, read_status

__all__ = [
    "CONSOLE_FILE",
    "LIVE_STATES",
    "LOG_FILE",
    "RUN_CONFIG_FILE",
    "RUN_INFO_FILE",
    "LaunchError",
    "LaunchInfo",
    "RunControlError",
    "RunRecord",
    "RunState",
    "RunStatus",
    "data_dir",
    "list_runs",
    "read_launch",
    "read_status",
    "resume_run",
    "run_record",
    "start_detached",
    "stop_run",
]
