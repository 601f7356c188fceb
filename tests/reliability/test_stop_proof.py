"""Stop signals a pid only once it is proven to be this run's engine: a stale or foreign pid is refused with why."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.events import StartedEvent
from engine.events.writer import EventWriter
from engine.runs.control import RunControlError, stop_run
from engine.runs.paths import LOCK_FILE
from engine.runs.process import command_line, start_token

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def stranger() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not any run's engine, in a session of its own (as a detached engine would be)."""
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    yield process
    process.kill()
    process.wait()


def _lock(run_dir: Path, pid: int, token: str | None, command: list[str] | None) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / LOCK_FILE).write_text(json.dumps({"pid": pid, "token": token, "command": command}))


def _still_running(process: subprocess.Popen[bytes]) -> bool:
    try:
        process.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        return True
    return False


def test_a_stale_pid_is_not_running_and_nothing_is_signalled(tmp_path: Path) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    _lock(tmp_path, ended.pid, "1", [sys.executable, "-c", "pass"])
    with pytest.raises(RunControlError, match="not running"):
        stop_run(tmp_path)


def test_a_pid_only_the_events_name_is_never_signalled(tmp_path: Path, stranger: subprocess.Popen[bytes]) -> None:
    """A copied or shared folder's events name a pid of another machine or an earlier boot: not a proof."""
    with EventWriter(tmp_path / "events.jsonl") as writer:
        writer.emit(
            StartedEvent(
                run_name="r",
                config={},
                device="cpu",
                dtype="float32",
                attn_implementation="sdpa",
                params_total=2,
                params_trainable=1,
                num_epochs=1.0,
                pid=stranger.pid,
                total_steps=8,
            )
        )
    with pytest.raises(RunControlError, match="not running"):
        stop_run(tmp_path)
    assert _still_running(stranger)


def test_a_reused_pid_is_refused_with_the_reason(tmp_path: Path, stranger: subprocess.Popen[bytes]) -> None:
    _lock(tmp_path, stranger.pid, "12345", command_line(stranger.pid))  # the run's start time, not the stranger's
    with pytest.raises(RunControlError, match=rf"names pid {stranger.pid}, but that process started at another time"):
        stop_run(tmp_path)
    assert _still_running(stranger)


def test_a_foreign_command_line_is_refused_with_the_reason(tmp_path: Path, stranger: subprocess.Popen[bytes]) -> None:
    engine = [sys.executable, "-m", "engine.train", str(tmp_path / "run_config.yml")]
    _lock(tmp_path, stranger.pid, start_token(stranger.pid), engine)
    with pytest.raises(RunControlError, match="not this run's engine"):
        stop_run(tmp_path)
    assert _still_running(stranger)


def test_the_proven_engine_is_stopped(tmp_path: Path, stranger: subprocess.Popen[bytes]) -> None:
    """The lock names the process with its own start time and command line, as the engine's own lock does."""
    _lock(tmp_path, stranger.pid, start_token(stranger.pid), command_line(stranger.pid))
    stop_run(tmp_path)
    assert stranger.wait(timeout=30) != 0
