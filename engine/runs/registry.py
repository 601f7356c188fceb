"""The run registry: one JSON record per run folder in the user data folder, with each run's live state."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.atomic import write_text_atomic
from engine.runs.paths import RUN_INFO_FILE, registry_dir
from engine.runs.process import is_alive
from engine.runs.status import RunState, RunStatus, read_status

if TYPE_CHECKING:
    from engine.config import RunConfig


@dataclass(frozen=True)
class LaunchInfo:
    """How a run was started; stored in the registry and in the run folder's run.json."""

    run_dir: str
    config_path: str
    """The config copy inside the run folder that the engine was given."""
    cwd: str
    """The engine's working folder: relative paths in the config (datasets, output_dir) resolve against it."""
    command: list[str]
    pid: int | None
    pid_token: str | None
    launched_at: float
    name: str = ""
    model: str = ""
    nproc: int = 1
    """Data-parallel processes (torchrun ranks); `pid` is then the launcher's, and each rank has its own."""
    source_config: str = ""
    """The config file the user started the run from (absolute), which `config_path` copies; empty when not
    known. A new run from this one's config is saved beside it (engine.runs.folder.RunFolder.next_run)."""


@dataclass(frozen=True)
class RunRecord:
    """A run folder, how it was launched (when ft-tui launched it) and its state right now."""

    run_dir: Path
    name: str
    model: str
    state: RunState
    started_at: float | None
    launch: LaunchInfo | None
    status: RunStatus = field(repr=False)

    @property
    def pid(self) -> int | None:
        return self.launch.pid if self.launch is not None and self.launch.pid else self.status.pid

    @property
    def progress(self) -> str:
        """`step/total` for the runs list."""
        if self.status.total_steps:
            return f"{self.status.step}/{self.status.total_steps}"
        return "-"


def _record_path(run_dir: Path) -> Path:
    key = hashlib.sha1(str(run_dir.resolve()).encode()).hexdigest()[:16]
    return registry_dir() / f"{key}.json"


def save_launch(info: LaunchInfo) -> None:
    """Record a launch both in the registry and beside the run, so either alone can find and resume it."""
    text = json.dumps(asdict(info), indent=2) + "\n"
    write_text_atomic(Path(info.run_dir) / RUN_INFO_FILE, text)
    write_text_atomic(_record_path(Path(info.run_dir)), text)


def read_launch(run_dir: Path) -> LaunchInfo | None:
    """The launch record of a run folder (its own run.json first), or None for a run ft-tui did not launch."""
    for path in (run_dir / RUN_INFO_FILE, _record_path(run_dir)):
        info = _read_info(path)
        if info is not None:
            return info
    return None


def _read_info(path: Path) -> LaunchInfo | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return LaunchInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def run_record(run_dir: Path) -> RunRecord:
    """The record of one run folder, whether or not it is in the registry."""
    run_dir = run_dir.resolve()
    launch = read_launch(run_dir)
    status = read_status(run_dir)
    return _build_record(run_dir, launch, status)


def live_pid(launch: LaunchInfo | None, status: RunStatus) -> int | None:
    """The pid of the run's live process, or None. Either pid counts: the launcher's is known before the engine
    writes anything, and the engine's own (from its latest `started` event) covers a resume started elsewhere."""
    if launch is not None and is_alive(launch.pid, launch.pid_token):
        return launch.pid
    return status.pid if is_alive(status.pid) else None


def run_is_alive(launch: LaunchInfo | None, status: RunStatus) -> bool:
    return live_pid(launch, status) is not None


def display_name(run_dir: Path, launch: LaunchInfo | None, status: RunStatus) -> str:
    """The run's name for the runs list and the monitor: the name the engine reported, else the launcher's, else the
    folder's (the engine's name itself is `run_name_of`: wandb_name, else the output folder's name)."""
    return status.run_name or (launch.name if launch else "") or run_dir.name


def run_name_of(config: RunConfig) -> str:
    """What a run of `config` is called (events, W&B, the launch record): wandb_name, else its folder's name."""
    return config.wandb_name or Path(config.output_dir).name


def _build_record(run_dir: Path, launch: LaunchInfo | None, status: RunStatus) -> RunRecord:
    alive = run_is_alive(launch, status)
    name = display_name(run_dir, launch, status)
    model = status.model or (launch.model if launch else "")
    started = status.started_time or (launch.launched_at if launch else None)
    return RunRecord(run_dir, name, model, status.state(alive), started, launch, status)


def list_runs() -> list[RunRecord]:
    """Every registered run whose folder still exists, newest first."""
    records = []
    for path in sorted(registry_dir().glob("*.json")):
        info = _read_info(path)
        if info is None or not Path(info.run_dir).is_dir():
            continue
        run_dir = Path(info.run_dir)
        launch = _read_info(run_dir / RUN_INFO_FILE) or info
        records.append(_build_record(run_dir, launch, read_status(run_dir)))
    return sorted(records, key=lambda record: (record.started_at or 0.0, str(record.run_dir)), reverse=True)
