"""Monitor details that misled: the epoch target when max_steps ended the run, the time before a stop, the LR axis
at the first step, repeated x-axis labels, and what Ctrl+Q says about a live run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.events import StartedEvent, read_events
from tests.monitor.conftest import recorded_run
from tests.monitor.helpers import settle
from tui.monitor.app import MonitorApp
from tui.monitor.model import RunModel
from tui.monitor.series import BinnedSeries
from tui.monitor.widgets.chart import Layer, _x_axis, _y_range
from tui.monitor.widgets.panels import ProgressPanel
from tui.monitor.widgets.summary import summary_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def test_x_axis_names_each_step_once() -> None:
    assert _x_axis(30, 1, 8).split() == ["step", "0", "1"]
    assert _x_axis(30, 120, 8).split() == ["step", "0", "60", "120"]


def test_lr_axis_at_the_first_step_spans_the_configured_rate() -> None:
    series = BinnedSeries()
    series.append(1, 0.0)  # warm-up starts at 0
    low, high = _y_range([Layer("lr", series, "green")], include=2e-4)
    assert low == 0.0 and 2e-4 <= high < 1e-3


def test_one_loss_drawn_by_two_layers_sits_mid_axis_not_at_both_edges() -> None:
    """At step 1 the raw band and the smoothed line hold the same loss but for float rounding: the axis spanned
    that rounding (3.961 to 3.961) and drew the one point at the top and at the bottom."""
    raw, smoothed = BinnedSeries(), BinnedSeries()
    raw.append(1, 3.9613)
    smoothed.append(1, 3.9613 + 1e-9)
    low, high = _y_range([Layer("raw", raw, "grey50", "band"), Layer("smoothed", smoothed, "cyan")])
    assert high - low > 0.015 * 3.9613 and low < 3.9613 < high


def test_time_before_a_stop_counts_in_the_total() -> None:
    model = RunModel()
    events = read_events(FIXTURES / "complete.jsonl")
    started = next(e for e in events if isinstance(e, StartedEvent))
    for event in events:
        model.apply(event)
    first = model.status.finished.elapsed_s  # type: ignore[union-attr]
    model.apply(started.model_copy(update={"resumed_from": "checkpoint-60", "time": started.time + 5000}))
    for event in events[events.index(started) + 1 :]:
        model.apply(event.model_copy(update={"time": event.time + 5000}))
    second = model.status.finished.elapsed_s  # type: ignore[union-attr]
    assert model.earlier_s == first
    from tui.monitor import format as fmt

    assert f"in {fmt.duration(first + second)}" in summary_text(model, "finished", Path("run")).plain


async def test_epoch_has_no_target_when_max_steps_ends_the_run(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    for event in events:
        if event["type"] == "started":
            event["config"]["max_steps"] = 120
    (run_dir / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    app = MonitorApp(run_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, len(events))
        line = str(app.screen.query_one(ProgressPanel).render())
        assert "epoch " in line and "/" not in line.split("epoch ")[1].split()[0], line


async def test_quitting_the_monitor_of_a_live_run_says_how_to_come_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.monitor import watcher

    monkeypatch.setattr(watcher, "process_alive", lambda _run_dir, _model: True)  # the engine is "still running"
    run_dir = recorded_run(tmp_path, "complete.jsonl", lines=40)  # no finished event yet
    app = MonitorApp(run_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, 40)
        assert app.screen.state == "training"  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.goodbye is not None and f"ft-tui monitor {run_dir}" in app.goodbye and "goes on" in app.goodbye


async def test_quitting_the_monitor_of_an_ended_run_says_nothing(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    app = MonitorApp(run_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.goodbye is None


def test_long_log_lines_wrap_under_their_text() -> None:
    from tui.monitor.widgets.log_pane import CONTINUATION, wrap_log_line

    text = "12:00:00 ERROR   " + "a long message " * 10
    parts = wrap_log_line(text, 60)
    assert len(parts) > 1 and all(len(part) <= 60 for part in parts)
    assert all(part.startswith(CONTINUATION) for part in parts[1:])
    assert " ".join(part.strip() for part in parts) == text.strip()


async def test_log_pane_shows_whole_lines_at_80_columns(tmp_path: Path) -> None:
    from tui.monitor.widgets.log_pane import FollowLog

    run_dir = recorded_run(tmp_path, "crash.jsonl")
    app = MonitorApp(run_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 60)
        await pilot.pause()
        log = app.screen.query_one(FollowLog)
        width = log.scrollable_content_region.width
        assert log.lines and all(len(line) <= width for line in log.lines)
