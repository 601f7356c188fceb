"""One depth limit for every parser that reads text someone else wrote: configs, JSON files, data rows, overrides.

Python's JSON and YAML parsers recurse once per level, so a few kilobytes of `[[[[...` end in a RecursionError (a
traceback) instead of a message. Each reader asks `json_too_deep` (or, for YAML, counts as it composes) and
refuses deeper input with the same words.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Deepest nesting any input may have (axolotl's deepest configs use about 6, chat rows with tool schemas about
12); deeper input is hostile or broken."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def too_deep_message(max_depth: int = MAX_DEPTH) -> str:
    """The words every reader uses for input nested too deep."""
    return f"nested more than {max_depth} levels deep"


def json_too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests arrays and objects deeper than `max_depth`, found without recursing.

    A text with fewer brackets than the limit cannot be too deep (the common case costs one count); otherwise the
    strings are blanked and the brackets counted, so a `[` inside a string does not count."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > max_depth:
            return True
    return False


def loads_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing text nested deeper than `max_depth` as it refuses bad JSON: a JSONDecodeError (a
    ValueError), so every caller's handling of bad JSON covers it."""
    if json_too_deep(text, max_depth):
        raise json.JSONDecodeError(too_deep_message(max_depth), text, 0)
    return json.loads(text)
