"""The monitor screen driven by the fake engine: live progress, stop and resume, a crash, the log, the runs list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable

from engine.runs import start_detached
from engine.runs.folder import RunFolder
from tests.monitor.conftest import recorded_run
from tests.monitor.helpers import settle, until
from tui.monitor.app import MonitorApp
from tui.monitor.screens import MonitorScreen
from tui.monitor.screens.monitor import ENDED, Pending
from tui.monitor.watcher import RunChanged, StepReceived
from tui.monitor.widgets.log_pane import FollowLog, LogPane
from tui.monitor.widgets.summary import SummaryPanel

FakeEngine = Callable[..., None]


def shown_log(app: MonitorApp) -> list[str]:
    return list(app.screen.query_one(FollowLog).lines)


async def test_monitor_follows_a_live_run_to_the_end(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.01)
    run_dir = start_detached(config_file)
    cleanup_runs.append(run_dir)
    app = MonitorApp(run_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: screen.state == "finished")
        await settle(pilot, 0)
        assert len(screen.model.loss.raw) == 120 and len(screen.model.eval_loss) == 4
        assert screen.query_one(SummaryPanel).has_class("-ended")
        assert any("adapter saved" in line for line in shown_log(app))
        assert screen.check_action("chat", ()) and not screen.check_action("stop", ())


async def test_stop_asks_first_then_resume_continues_the_curve(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.2)  # 30 s of run: the dialog and the stop land before its end on a busy machine
    run_dir = start_detached(config_file)
    cleanup_runs.append(run_dir)
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: screen.model.status.step >= 3)
        await pilot.press("s")
        await pilot.press("escape")
        # Esc in the dialog keeps training (the engine may be saving or evaluating by now on a loaded machine)
        assert screen.state not in ENDED and screen.pending is Pending.NONE
        await pilot.press("s")
        await pilot.click("#confirm")
        await until(pilot, lambda: screen.state == "stopped" and screen.pending is Pending.NONE)
        stopped_at = screen.model.status.step
        assert RunFolder(run_dir).resume_checkpoint() is not None
        fake_engine("complete.jsonl", 0.0)
        await pilot.press("r")
        await until(pilot, lambda: screen.state == "finished")
        assert list(screen.model.loss.raw.xs) == list(range(1, 121))
        # the stop saved a checkpoint where it stopped (a loaded machine may stop after the periodic one at 60)
        assert stopped_at in [c.step for c in screen.model.status.checkpoints]


async def test_a_crash_shows_the_error_and_the_engine_output(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("crash.jsonl", 0.0)
    run_dir = start_detached(config_file)
    cleanup_runs.append(run_dir)
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: screen.state == "failed" and any(ln.level == "console" for ln in screen.model.log))
        await settle(pilot, 0)
        summary = str(screen.query_one("#summary-text").render())
        assert "not enough memory" in summary
        assert any("CONSOLE" in line and "Traceback" in line for line in shown_log(pilot.app))
        assert not screen.check_action("resume", ()), "no checkpoint was saved before the crash"


async def test_a_reader_that_fails_shows_its_error_instead_of_freezing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.events import EventTail
    from tui.monitor.widgets.panels import RunHeader

    def broken(_tail: EventTail) -> list[object]:
        raise OSError("the disk went away")

    monkeypatch.setattr(EventTail, "poll", broken)
    run_dir = recorded_run(tmp_path, "complete.jsonl", lines=40)
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        await until(pilot, lambda: any("the disk went away" in line for line in shown_log(pilot.app)))
        assert "not updating" in str(pilot.app.screen.query_one(RunHeader).render())


async def test_a_live_run_without_a_launch_record_is_judged_on_its_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A foreground run (`ft-tui train`, no run.json) is alive by the pid in its own `started` event: the liveness
    check must see this poll's events, or the first check calls the run dead and shows its console as a crash."""
    from engine.runs import CONSOLE_FILE

    monkeypatch.setattr("engine.runs.registry.is_alive", lambda pid, token=None: pid == 4242)  # the fixture's pid
    run_dir = recorded_run(tmp_path, "complete.jsonl", lines=40)
    (run_dir / CONSOLE_FILE).write_text("an old line that only a crash would bring up\n", encoding="utf-8")
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = await settle(pilot, 40)
        await until(pilot, lambda: screen.watcher.launch is None and screen.state == "training")
        assert not any(line.level == "console" for line in screen.model.log)


async def test_log_search_and_level_filter(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        await settle(pilot, 160)
        await pilot.press("l", "l")
        assert all("WARNING" in line or "ERROR" in line for line in shown_log(pilot.app))
        assert shown_log(pilot.app)
        await pilot.press("l", "l", "slash", *"step 90")
        assert [line[9:] for line in shown_log(pilot.app)] == ["INFO    eval at step 90: loss 1.3765"]
        await pilot.press("escape")
        assert isinstance(pilot.app.focused, FollowLog)
        assert pilot.app.screen.query_one(LogPane).search == "step 90"


async def test_log_search_matches_the_level_column(tmp_path: Path) -> None:
    """`warn` finds the WARNING lines (the level word is part of the line the user reads), not only texts that
    happen to hold the word."""
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        await settle(pilot, 160)
        await pilot.press("slash", *"warn")
        shown = shown_log(pilot.app)
        assert any("precision.cpu-bf16" in line for line in shown)
        assert shown and all(line[9:16] == "WARNING" or "warn" in line.lower() for line in shown)


async def test_runs_list_opens_the_chosen_run(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.0)
    cleanup_runs.append(start_detached(config_file))
    async with MonitorApp(None).run_test(size=(100, 32)) as pilot:
        table = pilot.app.screen.query_one(DataTable)
        await until(pilot, lambda: table.row_count == 1)
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, MonitorScreen)
        await pilot.press("escape")
        assert pilot.app.screen.query_one(DataTable) is table


def test_step_messages_replace_each_other_but_not_other_changes() -> None:
    from engine.events import StepEvent

    step = StepEvent(
        step=1, total_steps=2, epoch=0.5, loss=1.0, lr=1e-4, tokens_per_second=1.0, tokens_seen=1, elapsed_s=1
    )
    assert StepReceived(step).can_replace(StepReceived(step))
    assert not StepReceived(step).can_replace(RunChanged())
    assert RunChanged().can_replace(RunChanged())
