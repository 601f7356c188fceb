"""Plain-words reasons a local data file cannot be read, naming the file and the 1-based line.

`datasets` reports a broken JSON Lines file as "JSON parse error ... in row 6" (0-based, for line 7), an empty one
as a bare StopIteration, arrays as rows as "Trailing data", and reads Latin-1 text without a word. The checks here
run before the loader (encoding, emptiness: one fast pass) or after it failed (the exact line), so the user is told
what to fix.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

from engine.nesting import MAX_DEPTH, json_too_deep, loads_json, too_deep_message

TEXT_SUFFIXES = frozenset({".json", ".jsonl", ".csv", ".txt"})
JSON_SUFFIXES = frozenset({".json", ".jsonl"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic"})
CHUNK = 1 << 20


def check_before_loading(path: Path) -> str | None:
    """A problem found without parsing: an image, an empty file, or text that is not UTF-8 (with its line)."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return f"'{path}' is an image, not a dataset file; point `path` at a JSON, JSONL, CSV, Parquet or text file"
    if suffix not in TEXT_SUFFIXES:
        return None
    problem = not_utf8(path)
    if problem is not None:
        reason, fix = problem
        return f"'{path}' {reason}; {fix}"
    if _blank(path):
        return f"'{path}' is empty: it has no rows; add data or remove the entry"
    if suffix in JSON_SUFFIXES:
        return _too_deep(path)
    return None


def _too_deep(path: Path) -> str | None:
    """The first line nested deeper than MAX_DEPTH: the loader's JSON readers recurse per level in C and crash the
    process (a segfault, not an exception) on a row nested thousands deep. A JSON array file counts as a whole."""
    with path.open("rb") as handle:
        if path.suffix.lower() == ".json" and handle.read(CHUNK).lstrip().startswith(b"["):
            handle.seek(0)
            text = handle.read().decode("utf-8")
            if json_too_deep(text, MAX_DEPTH + 1):  # the array itself is one level
                return f"'{path}': a row is {too_deep_message()}; flatten that row"
            return None
        handle.seek(0)
        for number, line in enumerate(handle, start=1):
            if line.count(b"[") + line.count(b"{") > MAX_DEPTH and json_too_deep(line.decode("utf-8")):
                return f"'{path}': line {number} is {too_deep_message()}; flatten that row"
    return None


def not_utf8(path: Path) -> tuple[str, str] | None:
    """(reason, fix) when the file is not UTF-8 text, naming the first bad line (1-based) and byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as error:
                at = line + chunk[: error.start].count(b"\n")
                return (
                    f"line {at} is not UTF-8 text (byte 0x{chunk[error.start]:02x})",
                    "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
                )
            line += text.count("\n")
    return None


def _blank(path: Path) -> bool:
    with path.open("rb") as handle:
        return all(not chunk.strip() for chunk in iter(lambda: handle.read(CHUNK), b""))


def explain_json_failure(path: Path) -> str | None:
    """After the loader failed on a .json/.jsonl file: the first line that is not one JSON object (1-based),
    worded to follow the file's name."""
    if path.suffix.lower() not in JSON_SUFFIXES:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        return _explain_array(text)
    return _explain_lines(text)


def _explain_array(text: str) -> str | None:
    try:
        rows = loads_json(text, MAX_DEPTH + 1)  # the array itself is one level
    except json.JSONDecodeError as error:
        return f"line {error.lineno} is not valid JSON: {error.msg}"
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        if not isinstance(row, dict):
            return f'row {index + 1} is {_kind(row)}; each row must be an object like {{"instruction": ...}}'
    return None


def _explain_lines(text: str) -> str | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = loads_json(line)
        except json.JSONDecodeError as error:
            return f"line {number} is not valid JSON: {error.msg} (column {error.colno})"
        if not isinstance(row, dict):
            return f'line {number} is {_kind(row)}; each line must be one object like {{"instruction": ...}}'
    return None


def _kind(value: object) -> str:
    names = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
