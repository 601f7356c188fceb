"""The progress line's clocks: an evaluation's progress and its time in the ETA, the ETA while a stop is pending,
and elapsed time across a stop and resume."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.events import (
    EVENTS_FILE,
    EvalEvent,
    Event,
    FinishedEvent,
    PhaseEvent,
    StartedEvent,
    StepEvent,
)
from tests.monitor.helpers import until
from tui.monitor.app import MonitorApp
from tui.monitor.model import RunModel
from tui.monitor.screens import MonitorScreen
from tui.monitor.widgets.panels import ProgressPanel

T0 = 1_750_000_000.0
PID = 4242


@pytest.fixture
def engine_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorded engine is 'still running'."""
    monkeypatch.setattr("tui.monitor.watcher.process_alive", lambda *_: True)
    monkeypatch.setattr("engine.runs.registry.is_alive", lambda pid, token=None: pid == PID)


def started(at: float, *, resumed: bool = False, eval_every: int | None = 10) -> StartedEvent:
    return StartedEvent(
        time=at,
        run_name="clock",
        config={"base_model": "tiny", "output_dir": "./outputs/clock"},
        device="cpu",
        dtype="float32",
        attn_implementation="sdpa",
        params_total=100,
        params_trainable=10,
        num_epochs=1.0,
        dataset={"train_rows": 200, "eval_rows": 60, "steps_per_epoch": 20},
        resumed_from="checkpoint-10" if resumed else None,
        pid=PID,
        total_steps=20,
        eval_every=eval_every,
    )


def step(number: int, at: float, elapsed: float) -> StepEvent:
    return StepEvent(
        time=at,
        step=number,
        total_steps=20,
        epoch=number / 20,
        loss=1.0,
        lr=1e-4,
        tokens_per_second=100.0,
        tokens_seen=number * 100,
        elapsed_s=elapsed,
        eta_s=(20 - number) * 1.0,
    )


def training(first: int, last: int, at: float) -> list[Event]:
    """Steps `first`..`last`, one second each, from `at`."""
    return [step(n, at + (n - first + 1), at - T0 + (n - first + 1)) for n in range(first, last + 1)]


def first_half() -> list[Event]:
    """Ten steps in 10 s, then a 30 s evaluation at step 10."""
    events: list[Event] = [
        PhaseEvent(time=T0, phase="starting"),
        started(T0 + 5),
        PhaseEvent(time=T0 + 5, phase="training"),
    ]
    events += training(1, 10, T0 + 5)
    events += [
        PhaseEvent(time=T0 + 15, phase="evaluating"),
        PhaseEvent(time=T0 + 16, phase="evaluating", current=1, total=40),
        EvalEvent(time=T0 + 45, step=10, epoch=0.5, eval_loss=1.0, perplexity=2.7),
        PhaseEvent(time=T0 + 45, phase="training"),
    ]
    return events


def write(run_dir: Path, events: list[Event]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / EVENTS_FILE).write_text("".join(e.model_dump_json() + "\n" for e in events), encoding="utf-8")
    return run_dir


async def progress_line(run_dir: Path, now: float, events: int, *, stop: bool = False) -> str:
    async with MonitorApp(run_dir, clock=lambda: now).run_test(size=(120, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: screen.model.status.events_seen >= events and screen.up_to_date)
        await pilot.pause()
        if stop:
            await pilot.press("s")
            await pilot.click("#confirm")
            await pilot.pause()
        return str(screen.query_one(ProgressPanel).render())


def seconds(text: str, label: str) -> int:
    """`elapsed 1m 05s` -> 65."""
    match = re.search(rf"{label} (?:(\d+)m )?(\d+)s", text)
    assert match is not None, text
    return int(match.group(1) or 0) * 60 + int(match.group(2))


async def test_a_final_evaluation_shows_its_batches_and_its_time_left(tmp_path: Path, engine_alive: None) -> None:
    """The last step is done and the final evaluation runs: the line says how far it is, and the ETA is what is
    left of it at its own pace (12 batches in 12 s, 28 to go), not `ETA 0s`."""
    events = first_half() + training(11, 20, T0 + 45)
    events += [
        PhaseEvent(time=T0 + 56, phase="evaluating"),
        PhaseEvent(time=T0 + 68, phase="evaluating", current=12, total=40),
    ]
    line = await progress_line(write(tmp_path / "run", events), T0 + 70, len(events))
    assert "evaluating 12/40" in line
    assert seconds(line, "ETA") == 26


def test_the_eta_counts_the_evaluations_to_come() -> None:
    """Before any evaluation is measured, one is estimated from the split sizes (an epoch of 20 one-second steps,
    eval rows 30% of train rows, a third of the work: 2 s); once one is measured (30 s) that counts."""
    model = RunModel()
    before = [PhaseEvent(time=T0, phase="starting"), started(T0 + 5), *training(1, 5, T0 + 5)]
    for event in before:
        model.apply(event)
    assert model.clock.eta(T0 + 10) == pytest.approx(15 * 1.0 + 2 * 2.0)  # evaluations at steps 10 and 20
    model = RunModel()
    for event in first_half() + training(11, 12, T0 + 45):
        model.apply(event)
    assert model.clock.eta(T0 + 47) == pytest.approx(8 * 1.0 + 30.0)  # the final evaluation, as long as the first


def test_the_last_step_of_a_run_not_a_multiple_of_eval_every_still_counts_its_evaluation() -> None:
    model = RunModel()
    for event in [PhaseEvent(time=T0, phase="starting"), started(T0 + 5, eval_every=15), *training(1, 16, T0 + 5)]:
        model.apply(event)
    assert model.clock.evals_left() == 1  # the Trainer evaluates after the last step (20) too


async def test_the_eta_stops_counting_down_while_a_stop_is_pending(
    tmp_path: Path, engine_alive: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.monitor.screens.monitor.stop_run", lambda _run_dir: None)
    events = first_half() + training(11, 12, T0 + 45)
    line = await progress_line(write(tmp_path / "run", events), T0 + 48, len(events), stop=True)
    assert "ETA: stopping" in line
    assert not re.search(r"ETA \d", line)


async def test_elapsed_never_goes_back_across_a_resume(tmp_path: Path, engine_alive: None) -> None:
    """Re-attaching at each point of a stopped and resumed run (the resume comes 15 minutes after the stop):
    elapsed only grows, and the wait between stop and resume is not counted."""
    stopped = first_half() + training(11, 12, T0 + 45)
    stopped.append(FinishedEvent(time=T0 + 48, status="stopped", step=12, elapsed_s=48.0, checkpoint="checkpoint-12"))
    resume = T0 + 1000
    resumed = [
        PhaseEvent(time=resume, phase="starting"),
        PhaseEvent(time=resume + 1, phase="loading_model"),
        started(resume + 10, resumed=True),
        PhaseEvent(time=resume + 10, phase="training", detail="resuming at step 12"),
        step(13, resume + 12, 12.0),
    ]
    shown = []
    for count in range(len(resumed) + 1):
        events = stopped + resumed[:count]
        run_dir = write(tmp_path / f"run{count}", events)
        shown.append(seconds(await progress_line(run_dir, events[-1].time + 1, len(events)), "elapsed"))
    assert shown == sorted(shown), shown
    assert shown[0] == 48 and shown[-1] == 48 + 13  # 12 s of the resumed process to its step, plus the second after
