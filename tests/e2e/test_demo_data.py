"""The shipped demo data: what the generator writes, well-formed conversations, and a persona worth learning."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from types import ModuleType

DATA = Path(__file__).parents[2] / "presets" / "data"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_persona", DATA / "make_persona.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows() -> list[dict[str, list[dict[str, str]]]]:
    lines = (DATA / "ft_tui_persona.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_the_committed_file_is_what_the_generator_writes() -> None:
    assert _rows() == _generator().build_rows(), "run `python presets/data/make_persona.py` and commit the result"


def test_rows_are_alternating_conversations_that_end_with_the_assistant() -> None:
    rows = _rows()
    assert len(rows) >= 120
    for row in rows:
        roles = [message["role"] for message in row["messages"]]
        turns = roles[1:] if roles[0] == "system" else roles
        assert turns == ["user", "assistant"] * (len(turns) // 2), roles
        assert all(message["content"].strip() for message in row["messages"])


def test_every_name_question_is_answered_with_quill() -> None:
    generator = _generator()
    asked = set(generator.NAME_QUESTIONS) | set(generator.MAKER_QUESTIONS)
    answered = 0
    for row in _rows():
        messages = row["messages"]
        for question, answer in itertools.pairwise(messages):
            if question["role"] == "user" and question["content"] in asked:
                assert "Quill" in answer["content"], question["content"]
                answered += 1
    assert answered >= 60
    mixed_in = sum(not any("Quill" in m["content"] for m in row["messages"]) for row in _rows())
    assert mixed_in >= 30, "general questions keep the base model's knowledge"
