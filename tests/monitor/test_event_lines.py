"""The runs list's status and the monitor's tail read an events file through one parser, so they agree on every
line: a whole line counts, a line still being written does not, and a corrupt line is passed over."""

from __future__ import annotations

from pathlib import Path

from engine.events import EVENTS_FILE, CheckpointEvent, EventTail, PhaseEvent, parse_event_lines
from engine.runs import read_status


def _line(event: PhaseEvent | CheckpointEvent) -> bytes:
    return event.model_dump_json().encode() + b"\n"


def test_status_and_tail_agree_on_a_line_still_being_written(tmp_path: Path) -> None:
    """The last checkpoint event is written but its newline is not yet: neither reader counts it until it is."""
    last = _line(CheckpointEvent(step=20, path="out/checkpoint-20"))
    events = tmp_path / EVENTS_FILE
    events.write_bytes(
        _line(PhaseEvent(phase="training"))
        + b"{not an event\n\n"
        + _line(CheckpointEvent(step=10, path="out/checkpoint-10"))
        + last[:-1]
    )
    tail = EventTail(events)
    seen = tail.poll()
    assert [type(event).__name__ for event in seen] == ["PhaseEvent", "CheckpointEvent"]
    assert tail.bad_lines == 1
    assert [c.path for c in read_status(tmp_path).checkpoints] == ["out/checkpoint-10"]

    with events.open("ab") as stream:
        stream.write(b"\n")
    assert [event.path for event in tail.poll() if isinstance(event, CheckpointEvent)] == ["out/checkpoint-20"]
    assert [c.path for c in read_status(tmp_path).checkpoints][-1] == "out/checkpoint-20"


def test_parse_event_lines_returns_the_unterminated_rest() -> None:
    whole = _line(PhaseEvent(phase="saving"))
    parsed = parse_event_lines(whole + b'{"type": "pha')
    assert ([type(event).__name__ for event in parsed.events], parsed.bad_lines) == (["PhaseEvent"], 0)
    assert parsed.rest == b'{"type": "pha'
