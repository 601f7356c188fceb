"""The monitor's run model shows only the current run of a folder: a fresh run after an earlier one (a crash)
starts with a clean state, log and clock; a resume keeps the run's history."""

from __future__ import annotations

from pathlib import Path

from engine.events import FinishedEvent, StartedEvent, StepEvent, read_events
from tui.monitor.model import RunModel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"


def test_a_fresh_run_after_a_crash_shows_nothing_of_the_crash() -> None:
    model = RunModel()
    for event in read_events(FIXTURES / "crash.jsonl"):
        model.apply(event)
    assert model.status.state(False) == "failed"
    second = read_events(FIXTURES / "complete.jsonl")
    offset = 10_000.0  # the second run happens later
    started_at = None
    for event in second:
        moved = event.model_copy(update={"time": event.time + offset})
        started_at = started_at or moved.time
        model.apply(moved)
        if isinstance(event, StartedEvent):
            break
    assert model.status.error is None and model.status.state(True) != "failed"
    assert model.first_time == started_at
    assert not any(line.level == "error" for line in model.log)
    assert len(model.loss) == 0


def test_a_resumed_run_keeps_its_history() -> None:
    model = RunModel()
    events = read_events(FIXTURES / "complete.jsonl")
    steps = [e for e in events if e.type == "step"]
    for event in events[: events.index(steps[10]) + 1]:
        model.apply(event)
    before = len(model.log)
    started = next(e for e in events if isinstance(e, StartedEvent))
    model.apply(started.model_copy(update={"resumed_from": "checkpoint-10"}))
    assert len(model.loss) == 11 and len(model.log) >= before


def test_a_resumed_run_counts_the_time_before_the_stop_once() -> None:
    """Re-attaching to a resumed run read 20 minutes for 10: the stopped process's time was counted as both the
    earlier time and the new process's own clock until the new process's first step."""
    model = RunModel()
    events = read_events(FIXTURES / "complete.jsonl")
    steps = [e for e in events if isinstance(e, StepEvent)]
    for event in events[: events.index(steps[10]) + 1]:
        model.apply(event)
    finished = next(e for e in events if isinstance(e, FinishedEvent))
    stopped_after = steps[10].elapsed_s + 1.5
    model.apply(finished.model_copy(update={"status": "stopped", "step": 11, "elapsed_s": stopped_after}))
    started = next(e for e in events if isinstance(e, StartedEvent))
    model.apply(started.model_copy(update={"resumed_from": "checkpoint-11", "time": finished.time + 60}))
    assert model.earlier_s + model.status.elapsed_s == stopped_after
