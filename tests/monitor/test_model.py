"""The monitor's run model shows only the current run of a folder: a fresh run after an earlier one (a crash)
starts with a clean state, log and clock; a resume keeps the run's history."""

from __future__ import annotations

from pathlib import Path

from engine.events import StartedEvent, read_events
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
