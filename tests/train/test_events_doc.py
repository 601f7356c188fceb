"""docs/events.md stays true: every example line is a valid event, and every event type is documented."""

from __future__ import annotations

import re
from pathlib import Path

from engine.events import event_json_schema, parse_event

DOC = Path(__file__).parents[2] / "docs" / "events.md"


def example_lines() -> list[str]:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_every_example_line_parses() -> None:
    lines = example_lines()
    assert len(lines) > 20
    events = [parse_event(line) for line in lines]
    assert events[-1].type == "finished"


def test_every_event_type_has_a_section() -> None:
    text = DOC.read_text()
    for name, model in event_json_schema()["$defs"].items():
        if "type" not in model["properties"]:
            continue  # a part of an event (a sample answer), not an event
        kind = model["properties"]["type"]["const"]
        assert f"### `{kind}`" in text, name
