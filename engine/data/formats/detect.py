"""Guessing a dataset's `type` and field mapping from its first rows, so the wizard can offer them.

A guess only ever fills in keys the user can see and edit; preparing the data still validates every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_INSTRUCTION_NAMES = ("instruction", "prompt", "question", "query")
_INPUT_NAMES = ("input", "context")
_OUTPUT_NAMES = ("output", "response", "answer", "completion")
_TEXT_NAMES = ("text", "content", "document", "body")
_ROLE_CONTENT_KEYS = (("role", "content"), ("from", "value"))


def detect_format(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """`datasets:` entry keys (type and mappings) that fit every given row, or None when nothing fits."""
    if not rows:
        return None
    for detector in (_pretokenized, _chat, _input_output, _alpaca, _completion):
        guess = detector(rows)
        if guess is not None:
            return guess
    return None


def _common_columns(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    columns = set(rows[0])
    for row in rows[1:]:
        columns &= set(row)
    return columns


def _pretokenized(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    if all(isinstance(row.get("input_ids"), list) for row in rows):
        return {"type": None}
    return None


def _chat(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    columns = _common_columns(rows)
    ordered: list[str] = [name for name in ("messages", "conversations") if name in columns]
    ordered += sorted(columns - set(ordered))
    for column in ordered:
        keys = _message_keys([row[column] for row in rows])
        if keys is None:
            continue
        guess: dict[str, Any] = {"type": "chat_template"}
        if column != "messages":
            guess["field_messages"] = column
        if keys != ("role", "content"):
            guess["message_property_mappings"] = {"role": keys[0], "content": keys[1]}
        return guess
    return None


def _message_keys(values: list[Any]) -> tuple[str, str] | None:
    """The (role, content) key pair every message of every row uses, if the column holds conversations."""
    for pair in _ROLE_CONTENT_KEYS:
        if all(_is_conversation(value, pair) for value in values):
            return pair
    return None


def _is_conversation(value: Any, keys: tuple[str, str]) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(message, Mapping) and keys[0] in message and keys[1] in message for message in value)
    )


def _input_output(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    def is_segments(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(s, Mapping) and "text" in s for s in value)

    if all(is_segments(row.get("segments")) for row in rows):
        return {"type": "input_output"}
    return None


def _alpaca(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    columns = _common_columns(rows)
    instruction = _first_present(_INSTRUCTION_NAMES, columns)
    output = _first_present(_OUTPUT_NAMES, columns)
    if instruction is None or output is None:
        return None
    guess: dict[str, Any] = {"type": "alpaca"}
    if instruction != "instruction":
        guess["field_instruction"] = instruction
    if output != "output":
        guess["field_output"] = output
    found_input = _first_present(_INPUT_NAMES, columns)
    if found_input not in (None, "input"):
        guess["field_input"] = found_input
    if "system" in columns:
        guess["field_system"] = "system"
    return guess


def _completion(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    columns = _common_columns(rows)
    text_columns = [name for name in _TEXT_NAMES if name in columns]
    text_columns += sorted(name for name in columns if name not in text_columns)
    for column in text_columns:
        if all(isinstance(row[column], str) and row[column].strip() for row in rows):
            return {"type": "completion"} if column == "text" else {"type": "completion", "field": column}
    return None


def _first_present(names: tuple[str, ...], columns: set[str]) -> str | None:
    return next((name for name in names if name in columns), None)
