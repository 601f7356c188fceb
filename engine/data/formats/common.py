"""Small helpers the row formatters share: reading a text field and describing a value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from engine.data.errors import RowProblem
from engine.data.spans import Encoded, TextSample


class RowFormatter(Protocol):
    """Turns one raw row into zero or more tokenized samples, or raises `RowProblem`."""

    def __call__(self, row: Mapping[str, Any]) -> list[Encoded]: ...


class TextFormatter(RowFormatter, Protocol):
    """A formatter that can also render rows as texts, so a batch of rows is tokenized in one call."""

    tokenizer: Any

    def texts(self, row: Mapping[str, Any]) -> list[TextSample]: ...


def text_field(row: Mapping[str, Any], field: str, *, required: bool) -> str:
    """The string in `row[field]`; a missing/None optional field reads as ''.

    A required field that is missing, not a string or blank raises `RowProblem`, so the row is dropped
    and reported instead of training on an empty answer.
    """
    value = row.get(field)
    if value is None:
        if required:
            raise RowProblem("missing_field", f"no '{field}' (columns: {', '.join(sorted(row))})")
        return ""
    if not isinstance(value, str):
        raise RowProblem("malformed", f"'{field}' is {type(value).__name__}, expected text")
    if required and not value.strip():
        raise RowProblem("empty", f"'{field}' is empty")
    return value


def eos_text(tokenizer: Any) -> str:
    """The end-of-sequence token as text ('' when the tokenizer has none), appended to trained answers."""
    return getattr(tokenizer, "eos_token", None) or ""
