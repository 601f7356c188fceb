"""Shared fixtures: UTC log times, a fake engine that replays recorded events, run folders."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.events import EVENTS_FILE
from engine.runs import read_launch, run_record
from engine.runs.launch import ENGINE_COMMAND_ENV
from engine.runs.process import is_alive, send_stop
from tests.conftest import UserFolders
from tests.tiny import fake_checkpoint

FIXTURES = Path(__file__).parents[1] / "fixtures" / "events"
FAKE_ENGINE = Path(__file__).parent / "fake_engine.py"


@pytest.fixture(autouse=True)
def utc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Log times and start dates render in UTC, so screens look the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def data_dir(user_folders: UserFolders) -> Path:
    """The test's user data folder (the root conftest's), where the runs registry lives."""
    return user_folders.data


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, float], None]:
    """Point the launcher at the fake engine replaying one fixture stream with a delay between events."""

    def use(stream: str, delay: float = 0.02) -> None:
        monkeypatch.setenv(ENGINE_COMMAND_ENV, f"{sys.executable} {FAKE_ENGINE}")
        monkeypatch.setenv("FAKE_ENGINE_STREAM", str(FIXTURES / stream))
        monkeypatch.setenv("FAKE_ENGINE_DELAY", str(delay))

    return use


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A minimal config in a project folder that is also the working folder, as when a user runs ft-tui."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    path = project / "config.yml"
    path.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\noutput_dir: ./outputs/demo\n", encoding="utf-8")
    return path


@pytest.fixture
def cleanup_runs() -> Iterator[list[Path]]:
    """Run folders started by a test; any engine still alive at the end is stopped, never left behind."""
    started: list[Path] = []
    yield started
    for run_dir in started:
        launch = read_launch(run_dir)
        if launch is not None and launch.pid and is_alive(launch.pid, launch.pid_token):
            send_stop(launch.pid)


def recorded_run(tmp_path: Path, stream: str, lines: int | None = None) -> Path:
    """A run folder holding a fixture stream (or its first `lines` lines), as a live or finished run leaves it."""
    run_dir = tmp_path / "outputs" / "smollm2-alpaca"
    run_dir.mkdir(parents=True)
    text = (FIXTURES / stream).read_text(encoding="utf-8").splitlines(keepends=True)
    (run_dir / EVENTS_FILE).write_text("".join(text[:lines]), encoding="utf-8")
    for line in text[:lines]:  # the checkpoint folders the events report, on disk as the engine leaves them
        event = json.loads(line)
        if event.get("type") == "checkpoint":
            fake_checkpoint(run_dir / Path(event["path"]).name)
    return run_dir


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll until a condition holds; fails (never sleeps past `timeout`) so a hung engine cannot hang the suite."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def state_of(run_dir: Path) -> str:
    return run_record(run_dir).state
