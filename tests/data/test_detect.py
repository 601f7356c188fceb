"""Format detection from the first rows: the keys the wizard offers, and None when nothing fits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import DatasetConfig
from engine.data.formats import detect_format

DEMO_DATA = Path(__file__).parents[1] / "fixtures" / "data"


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([{"messages": [{"role": "user", "content": "hi"}]}], {"type": "chat_template"}),
        (
            [{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}],
            {
                "type": "chat_template",
                "field_messages": "conversations",
                "message_property_mappings": {"role": "from", "content": "value"},
            },
        ),
        ([{"instruction": "a", "input": "", "output": "b"}], {"type": "alpaca"}),
        (
            [{"question": "a", "context": "c", "answer": "b"}],
            {"type": "alpaca", "field_instruction": "question", "field_output": "answer", "field_input": "context"},
        ),
        ([{"text": "raw text"}], {"type": "completion"}),
        ([{"body": "raw text", "id": 3}], {"type": "completion", "field": "body"}),
        ([{"segments": [{"text": "a", "label": False}, {"text": "b", "label": True}]}], {"type": "input_output"}),
        ([{"input_ids": [1, 2], "labels": [-100, 2]}], {"type": None}),
        ([{"id": 1, "score": 0.5}], None),
        ([], None),
    ],
)
def test_detects_the_format_and_mapping(rows: list[dict], expected: dict | None) -> None:
    assert detect_format(rows) == expected


def test_a_column_missing_from_some_rows_does_not_count() -> None:
    rows = [{"instruction": "a", "output": "b"}, {"instruction": "c", "text": "d"}]
    assert detect_format(rows) == {"type": "completion", "field": "instruction"}


def test_guesses_are_valid_dataset_entries() -> None:
    guess = detect_format([{"conversations": [{"from": "human", "value": "hi"}]}])
    assert guess is not None
    DatasetConfig(path="x.jsonl", **guess)


def test_demo_datasets() -> None:
    alpaca = json.loads((DEMO_DATA / "alpaca_demo.json").read_text())[:20]
    assert detect_format(alpaca) == {"type": "alpaca"}
    c4 = [json.loads(line) for line in (DEMO_DATA / "c4_demo.jsonl").read_text().splitlines()[:20]]
    assert detect_format(c4)["type"] == "completion"
