"""Chart data: bounded binning at any run length, resume truncation, smoothing, braille drawing, the run model."""

from __future__ import annotations

import pytest

from engine.events import read_events
from tests.monitor.conftest import FIXTURES
from tui.monitor.braille import Canvas, Trace, draw
from tui.monitor.model import RunModel
from tui.monitor.series import BinnedSeries, Column, SmoothedSeries


def test_bins_stay_bounded_and_exact_at_any_length() -> None:
    series = BinnedSeries(max_bins=64)
    for step in range(1, 200_001):
        series.append(step, float(step % 7))
    assert len(series) == 200_000
    assert len(series.bins) <= 64
    assert sum(item.count for item in series.bins.values()) == 200_000
    assert series.value_range() == (0.0, 6.0)


def test_columns_cover_the_whole_curve_with_min_max_and_mean() -> None:
    series = BinnedSeries()
    for step, value in enumerate([4.0, 2.0, 6.0, 0.0], start=1):
        series.append(step, value)
    columns = series.columns(2, x_max=4)
    assert columns == [Column(2.0, 4.0, 3.0), Column(0.0, 6.0, 3.0)]
    assert BinnedSeries().columns(3, x_max=10) == [None, None, None]


def test_a_step_going_back_drops_the_points_from_there_on() -> None:
    series = BinnedSeries()
    for step in range(1, 11):
        series.append(step, 1.0)
    series.append(6, 5.0)
    assert list(series.xs) == [1, 2, 3, 4, 5, 6]
    assert series.last == (6, 5.0)
    assert sum(item.count for item in series.bins.values()) == 6


def test_smoothing_is_debiased_and_recomputed_after_a_resume() -> None:
    smoothed = SmoothedSeries(weight=0.5)
    smoothed.append(1, 2.0)
    assert smoothed.last == (1, 2.0), "the first smoothed point equals the first raw point"
    smoothed.append(2, 4.0)
    assert smoothed.last == (2, pytest.approx((0.25 * 2 + 0.5 * 4) / 0.75))
    smoothed.append(2, 2.0)
    assert list(smoothed.raw.ys) == [2.0, 2.0]
    assert smoothed.last == (2, pytest.approx(2.0))
    smoothed.append(3, float("nan"))
    assert len(smoothed) == 2, "a NaN loss is skipped rather than breaking the axis range"


def test_braille_line_and_band_set_the_expected_dots() -> None:
    canvas = Canvas(1, 1)
    draw(canvas, Trace([Column(1, 1, 1.0), Column(0, 0, 0.0)], "red"), y_low=0, y_high=1)
    assert canvas.rows() == [[(chr(0x2800 + 0x01 + 0x08 + 0x10 + 0x20 + 0x80), "red")]], "top left, then down"
    band = Canvas(1, 1)
    draw(band, Trace([Column(0.0, 1.0, 0.5), None], "grey50", "band"), y_low=0, y_high=1)
    assert band.rows() == [[(chr(0x2800 + 0x01 + 0x02 + 0x04 + 0x40), "grey50")]]


def test_run_model_folds_a_recorded_run() -> None:
    model = RunModel()
    for event in read_events(FIXTURES / "complete.jsonl"):
        model.apply(event)
    assert (len(model.loss.raw), len(model.eval_loss), len(model.learning_rate)) == (120, 4, 120)
    assert model.status.state(alive=False) == "finished"
    assert [c.step for c in model.status.checkpoints] == [60, 120]
    levels = {line.level for line in model.log}
    assert levels == {"info", "warning"}
    assert any("adapter saved" in line.text for line in model.log)


def test_run_model_starts_over_for_a_fresh_run_but_keeps_history_on_resume() -> None:
    events = read_events(FIXTURES / "complete.jsonl")
    started = next(event for event in events if event.type == "started")
    starting = next(event for event in events if event.type == "phase" and event.phase == "starting")
    model = RunModel()
    for event in events:
        model.apply(event)
    # Each engine process announces itself with the `starting` phase before its `started` event.
    model.apply(starting)
    model.apply(started.model_copy(update={"resumed_from": "checkpoint-60"}))
    assert len(model.loss.raw) == 120 and model.status.finished is None
    model.apply(starting.model_copy(update={"time": starting.time + 1}))
    model.apply(started)
    assert len(model.loss.raw) == 0 and model.status.checkpoints == []
