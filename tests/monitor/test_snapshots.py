"""SVG snapshots of the monitor in each state at 100x32, from recorded event streams with a frozen clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from engine.events import EVENTS_FILE, FinishedEvent, read_events
from engine.runs import CONSOLE_FILE
from engine.runs.registry import LaunchInfo, save_launch
from tests.monitor.conftest import recorded_run
from tests.monitor.helpers import settle, until
from tui.monitor.app import MonitorApp
from tui.monitor.screens import RunsScreen

SIZE = (100, 32)
FIXTURE_PID = 4242
"""The pid in the fixtures' started events; tests decide whether it counts as alive."""


@pytest.fixture
def engine_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorded engine is 'still running': the snapshot shows a live run."""
    monkeypatch.setattr("tui.monitor.watcher.process_alive", lambda *_: True)
    monkeypatch.setattr("engine.runs.registry.is_alive", lambda pid, token=None: pid == FIXTURE_PID)


def launched(run_dir: Path) -> None:
    """A launch record, as start_detached leaves one (it makes Resume available)."""
    info = LaunchInfo(str(run_dir), str(run_dir / "run_config.yml"), str(run_dir.parents[1]), ["engine"], None, None, 0)
    save_launch(info)


def monitor(run_dir: Path) -> MonitorApp:
    """The monitor with its clock frozen two seconds after the run's last event."""
    now = read_events(run_dir / EVENTS_FILE)[-1].time + 2.0
    return MonitorApp(run_dir, clock=lambda: now)


def settled(events: int):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, events)

    return run_before


class TestMonitorStates:
    def test_preparing_data(self, snap_compare, tmp_path: Path, engine_alive: None) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl", lines=6)
        assert snap_compare(monitor(run_dir), terminal_size=SIZE, run_before=settled(6))

    def test_training(self, snap_compare, tmp_path: Path, engine_alive: None) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl", lines=100)
        assert snap_compare(monitor(run_dir), terminal_size=SIZE, run_before=settled(100))

    def test_stop_dialog(self, snap_compare, tmp_path: Path, engine_alive: None) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl", lines=100)

        async def open_dialog(pilot: Pilot) -> None:
            await settle(pilot, 100)
            await pilot.press("s")

        assert snap_compare(monitor(run_dir), terminal_size=SIZE, run_before=open_dialog)

    def test_stopped(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl", lines=100)
        last = read_events(run_dir / EVENTS_FILE)[-1]
        stopped = FinishedEvent(
            time=last.time + 1, status="stopped", step=72, elapsed_s=137.0, tokens_seen=242_640,
            final_loss=1.41, final_eval_loss=1.52, checkpoint="./outputs/smollm2-alpaca/checkpoint-60",
        )  # fmt: skip
        with (run_dir / EVENTS_FILE).open("a", encoding="utf-8") as stream:
            stream.write(stopped.model_dump_json() + "\n")
        launched(run_dir)
        assert snap_compare(monitor(run_dir), terminal_size=SIZE, run_before=settled(101))

    def test_finished(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl")
        assert snap_compare(monitor(run_dir), terminal_size=SIZE, run_before=settled(160))

    def test_crashed(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "crash.jsonl")
        traceback = 'Traceback (most recent call last):\n  File "engine/train/trainer.py", line 131\nKilled\n'
        (run_dir / CONSOLE_FILE).write_text(traceback, encoding="utf-8")
        assert snap_compare(monitor(run_dir), terminal_size=SIZE, run_before=settled(65))


async def runs_read(pilot: Pilot) -> None:
    """The runs list is read in a worker: wait until it is shown."""
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    await until(pilot, lambda: screen.loaded)
    await pilot.pause()


class TestRunsList:
    def test_runs_with_their_states(self, snap_compare, tmp_path: Path, engine_alive: None) -> None:  # type: ignore[no-untyped-def]
        for name, stream, lines in (
            ("a", "complete.jsonl", None),
            ("b", "crash.jsonl", None),
            ("c", "complete.jsonl", 90),
        ):
            run_dir = recorded_run(tmp_path / name, stream, lines)
            launched(run_dir)
        crashed = tmp_path / "b" / "outputs" / "smollm2-alpaca" / EVENTS_FILE
        crashed.write_text(crashed.read_text().replace(f'"pid":{FIXTURE_PID}', '"pid":-1'), encoding="utf-8")
        assert snap_compare(MonitorApp(None), terminal_size=SIZE, run_before=runs_read)

    def test_no_runs_yet(self, snap_compare) -> None:  # type: ignore[no-untyped-def]
        assert snap_compare(MonitorApp(None), terminal_size=SIZE, run_before=runs_read)


SMALL = (80, 24)
"""The smallest terminal the monitor is made for: every state must show its state word, legend and keys."""


def stopped_run(tmp_path: Path) -> Path:
    run_dir = recorded_run(tmp_path, "complete.jsonl", lines=100)
    last = read_events(run_dir / EVENTS_FILE)[-1]
    stopped = FinishedEvent(
        time=last.time + 1, status="stopped", step=72, elapsed_s=137.0, tokens_seen=242_640,
        final_loss=1.41, final_eval_loss=1.52, checkpoint="./outputs/smollm2-alpaca/checkpoint-60",
    )  # fmt: skip
    with (run_dir / EVENTS_FILE).open("a", encoding="utf-8") as stream:
        stream.write(stopped.model_dump_json() + "\n")
    launched(run_dir)
    return run_dir


def crashed_run(tmp_path: Path) -> Path:
    run_dir = recorded_run(tmp_path, "crash.jsonl")
    traceback = 'Traceback (most recent call last):\n  File "engine/train/trainer.py", line 131\nKilled\n'
    (run_dir / CONSOLE_FILE).write_text(traceback, encoding="utf-8")
    return run_dir


class TestMonitorAt80x24:
    def test_preparing_data(self, snap_compare, tmp_path: Path, engine_alive: None) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl", lines=6)
        assert snap_compare(monitor(run_dir), terminal_size=SMALL, run_before=settled(6))

    def test_training(self, snap_compare, tmp_path: Path, engine_alive: None) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl", lines=100)
        assert snap_compare(monitor(run_dir), terminal_size=SMALL, run_before=settled(100))

    def test_stopped(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        assert snap_compare(monitor(stopped_run(tmp_path)), terminal_size=SMALL, run_before=settled(101))

    def test_finished(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        run_dir = recorded_run(tmp_path, "complete.jsonl")
        assert snap_compare(monitor(run_dir), terminal_size=SMALL, run_before=settled(160))

    def test_crashed(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        assert snap_compare(monitor(crashed_run(tmp_path)), terminal_size=SMALL, run_before=settled(65))
