"""A cheap look at one `datasets:` entry before anything is tokenized: is there data, and can any row be used?

The rule catalog calls `inspect_dataset` so the wizard and `ft-tui validate` reject the same bad paths (empty,
missing, a folder without data, a binary or unreadable file, rows the format cannot read) in milliseconds,
instead of the run failing later with an unrelated message. It reads a bounded prefix of one file and checks the
first rows with the formats' own readers; preparing the data still validates every row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config.paths import looks_local
from engine.data.errors import DataError, RowProblem
from engine.data.loading import EXTENSION_BUILDERS, _is_saved_dataset, local_files, unusable_path
from engine.nesting import MAX_DEPTH, json_too_deep, loads_json, too_deep_message

if TYPE_CHECKING:
    from engine.config import DatasetConfig

PREFIX_BYTES = 256 * 1024
"""How much of a file is read: enough for many rows, little enough to run on every keystroke of the wizard."""
SAMPLE_ROWS = 50
"""Rows checked with the format's reader; the entry is unusable only when none of them can be used."""
_BINARY_BUILDERS = ("parquet", "arrow")
_PARQUET_MAGIC = b"PAR1"


@dataclass(frozen=True)
class DatasetProblem:
    """Why an entry cannot be trained on, and what to do about it (both one line, shown as they are)."""

    reason: str
    fix: str


def inspect_dataset(ds: DatasetConfig, *, check_rows: bool = True) -> DatasetProblem | None:
    """The first problem that makes this entry unusable, or None when it looks fine (or is a hub id).

    `check_rows=False` checks only that there is readable data (for a path asked before its format).
    """
    path_text = (ds.path or "").strip()
    if not path_text:
        return DatasetProblem("path is empty", "set path to a data file (.jsonl, .json, .csv, .parquet, .txt)")
    path = Path(path_text).expanduser()
    unusable = unusable_path(path)
    if unusable is not None:
        return DatasetProblem(f"{path_text} {unusable[0]}", unusable[1])
    if not path.exists():
        if looks_local(path_text):
            return DatasetProblem(
                f"{path_text} does not exist",
                "check the path; a relative path is looked up next to the config file, then in the folder you run in",
            )
        return None  # a hub id: checked when the data is downloaded
    if path.is_dir() and _is_saved_dataset(path) and not ds.data_files:
        return None  # written by save_to_disk; datasets reads and checks it
    try:
        files = listed_files(ds, path)
    except DataError as error:
        return DatasetProblem(str(error).split("; ", 1)[0], str(error).split("; ", 1)[-1])
    if path.is_dir():
        files = [f for f in files if f.suffix.lower() in EXTENSION_BUILDERS or ds.ds_type]
        if not files:
            return DatasetProblem(
                f"folder {path_text} holds no data files ({', '.join(EXTENSION_BUILDERS)})",
                "point path at a data file, or set data_files (and ds_type for other suffixes)",
            )
    if not files:
        return DatasetProblem(f"{path_text} holds no data files", "point path at a data file (.jsonl, .json, .csv)")
    try:
        stat = files[0].stat()
        found = _inspect_file(ds.ds_type, str(files[0]), stat.st_mtime_ns, stat.st_size)
    except OSError as error:
        return _unreadable(files[0], error)
    problem, rows = found
    if problem is None and check_rows:
        return _unusable_rows(ds, rows)
    return problem


def sample_rows(ds: DatasetConfig) -> list[Mapping[str, Any]]:
    """Up to SAMPLE_ROWS first rows of a local entry, read from a bounded prefix ([] for hub ids or bad paths)."""
    path = Path((ds.path or "").strip() or ".").expanduser()
    try:
        files = listed_files(ds, path) if ds.path and path.exists() else None
    except DataError:
        return []
    if not files:
        return []
    try:
        stat = files[0].stat()
    except OSError:
        return []
    return list(_inspect_file(ds.ds_type, str(files[0]), stat.st_mtime_ns, stat.st_size)[1])


FolderKey = tuple[str, str, int]
_LISTINGS: dict[FolderKey, list[Path] | DataError] = {}
LISTINGS_KEPT = 16


def listed_files(ds: DatasetConfig, path: Path) -> list[Path]:
    """`local_files(ds)` for the checks that run on every wizard edit: a folder's listing (a walk of up to
    MAX_FOLDER_FILES files, or the refusal of a bigger one) is kept per folder version (its mtime, which changes as
    files are added or removed at its top), so typing in another field does not walk it again. The prepared-data
    cache key lists the files afresh."""
    if not path.is_dir():
        return local_files(ds) or []
    key = (str(path.resolve()), json.dumps(ds.data_files, default=str), path.stat().st_mtime_ns)
    if key not in _LISTINGS:
        try:
            _LISTINGS[key] = local_files(ds) or []
        except DataError as error:
            _LISTINGS[key] = error
        while len(_LISTINGS) > LISTINGS_KEPT:
            del _LISTINGS[next(iter(_LISTINGS))]
    found = _LISTINGS[key]
    if isinstance(found, DataError):
        raise found
    return list(found)


@lru_cache(maxsize=64)
def _inspect_file(
    ds_type: str | None, name: str, _mtime_ns: int, size: int
) -> tuple[DatasetProblem | None, tuple[Mapping[str, Any], ...]]:
    """A problem with the file, else its first rows; cached per file version (the wizard asks after every edit)."""
    path = Path(name)
    if size == 0:
        return DatasetProblem(f"{name} is empty (0 bytes)", "point path at a file with rows in it"), ()
    try:
        with path.open("rb") as handle:
            prefix = handle.read(PREFIX_BYTES)
    except OSError as error:
        return _unreadable(path, error), ()
    builder = ds_type or EXTENSION_BUILDERS.get(path.suffix.lower())
    if builder == "parquet":
        return (None if prefix.startswith(_PARQUET_MAGIC) else _not_data(name, "a Parquet file")), ()
    if builder in _BINARY_BUILDERS:
        return None, ()
    text = _as_text(prefix, whole=size <= PREFIX_BYTES)
    if text is None:
        return _not_text(path, prefix), ()
    if builder is None:
        return None, ()  # the loader asks for ds_type; nothing more to say from here
    try:
        rows = _rows(builder, text, whole=size <= PREFIX_BYTES)
    except ValueError as error:
        return DatasetProblem(f"{name} cannot be read as {builder}: {error}", "fix the file, or set ds_type"), ()
    return None, tuple(rows)


def _unreadable(path: Path, error: OSError) -> DatasetProblem:
    reason = error.strerror or type(error).__name__
    return DatasetProblem(
        f"{path} cannot be read ({reason.lower()})", f"make it readable for your user (chmod u+r '{path}')"
    )


def _not_data(name: str, expected: str) -> DatasetProblem:
    return DatasetProblem(
        f"{name} is not {expected} (it holds binary content)",
        "point path at your data (.jsonl, .json, .csv, .parquet, .txt)",
    )


def _not_text(path: Path, prefix: bytes) -> DatasetProblem:
    """Binary content (NUL bytes), or text in another encoding than UTF-8: then say which line, and how to fix it."""
    from engine.data.diagnose import not_utf8

    encoding = None if b"\x00" in prefix else not_utf8(path)
    if encoding is None:
        return _not_data(str(path), "a text data file")
    reason, fix = encoding
    return DatasetProblem(f"{path} {reason}", fix)


def _as_text(prefix: bytes, *, whole: bool) -> str | None:
    """The prefix decoded as UTF-8, or None for binary content (NUL bytes or invalid UTF-8).

    A prefix may end inside a multi-byte character; the incremental decoder keeps that tail back.
    """
    if b"\x00" in prefix:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(prefix, final=whole)
    except UnicodeDecodeError:
        return None


def _rows(builder: str, text: str, *, whole: bool) -> list[Mapping[str, Any]]:
    """Up to SAMPLE_ROWS rows from the text, the way the builder reads them; a cut last line is left out."""
    lines = text.splitlines()
    if not whole and lines:
        lines = lines[:-1]
    if builder == "text":
        return [{"text": line} for line in lines[:SAMPLE_ROWS]]
    if builder == "csv":
        rows: list[Mapping[str, Any]] = list(csv.DictReader(io.StringIO("\n".join(lines))))
        return rows[:SAMPLE_ROWS]
    return _json_rows(text, lines, whole=whole)


def _json_rows(text: str, lines: list[str], *, whole: bool) -> list[Mapping[str, Any]]:
    """A JSON array (decoded item by item, so a cut end is fine) or JSON lines."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _array_items(stripped)
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = loads_json(line)
        except json.JSONDecodeError as error:
            if whole and number == 1 and not json_too_deep(line):  # one pretty-printed object spread over lines
                return _one_object(text)
            raise ValueError(f"line {number} is not valid JSON ({error.msg})") from error
        rows.append(value if isinstance(value, Mapping) else {"": value})
        if len(rows) >= SAMPLE_ROWS:
            break
    return rows


def _one_object(text: str) -> list[Mapping[str, Any]]:
    try:
        value = loads_json(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"line {error.lineno} is not valid JSON ({error.msg})") from error
    return [value] if isinstance(value, Mapping) else []


def _array_items(text: str) -> list[Mapping[str, Any]]:
    if json_too_deep(text, MAX_DEPTH + 1):  # the array itself is one level
        raise ValueError(f"a row is {too_deep_message()}")
    decoder = json.JSONDecoder()
    rows: list[Mapping[str, Any]] = []
    position = 1
    while len(rows) < SAMPLE_ROWS:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break  # the prefix ends inside an item
        rows.append(value if isinstance(value, Mapping) else {"": value})
    return rows


def _unusable_rows(ds: DatasetConfig, rows: tuple[Mapping[str, Any], ...]) -> DatasetProblem | None:
    """A problem when none of the sampled rows can be read by the entry's format (so every row would drop)."""
    if not rows:
        return None
    problems = []
    for row in rows:
        try:
            check_row(ds, row)
            return None
        except RowProblem as problem:
            if problem.reason == "unknown_role":
                return DatasetProblem(f"{ds.path}: {problem.detail.split('; ')[0]}", _role_fix(problem.detail))
            problems.append(problem)
    kind = ds.type_name() or "pre-tokenized rows"
    reason = f"none of the first {len(rows)} rows of {ds.path} can be read as {kind}: {problems[0].detail}"
    if len(rows) == 1:
        reason = f"the only row of {ds.path} cannot be read as {kind}: {problems[0].detail}"
    return DatasetProblem(reason, _format_fix(rows, kind))


def _role_fix(detail: str) -> str:
    parts = detail.split("; ", 1)
    return parts[1] if len(parts) > 1 else "map the role under `roles:`"


def _format_fix(rows: tuple[Mapping[str, Any], ...], kind: str) -> str:
    from engine.data.formats.detect import detect_format

    guess = detect_format(rows)
    if guess is None:
        return f"the rows have columns {', '.join(sorted({k for r in rows for k in r}))}; map them with field_* keys"
    keys = ", ".join(f"{key}: {value if value is not None else '(empty)'}" for key, value in guess.items())
    return f"the rows look like {guess.get('type') or 'pre-tokenized rows'}: set {keys}"


def check_row(ds: DatasetConfig, row: Mapping[str, Any]) -> None:
    """Raise RowProblem when the entry's format cannot read this row (the readers the formatters use)."""
    from engine.data.formats import alpaca_layout, format_name, message_reader
    from engine.data.formats.alpaca import AlpacaFormatter
    from engine.data.formats.common import text_field
    from engine.data.formats.segments import InputOutputFormatter, PretokenizedFormatter

    kind = format_name(ds)
    if kind is None:
        PretokenizedFormatter()(row)
    elif kind == "alpaca" or kind.startswith("alpaca:"):
        layout = alpaca_layout(ds)
        AlpacaFormatter(None, layout).prompt(row)
        text_field(row, layout.field_output, required=True)
    elif kind in ("chat_template", "sharegpt"):
        message_reader(ds).read(row)
    elif kind == "completion":
        text_field(row, ds.field or "text", required=True)
    elif kind == "input_output":
        InputOutputFormatter(_LengthOnlyTokenizer())(row)


class _LengthOnlyTokenizer:
    """Stands in for the model's tokenizer where only the row's shape is checked: one id per byte."""

    bos_token_id = None

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": list(text.encode())}


__all__ = ["DatasetProblem", "check_row", "inspect_dataset", "sample_rows"]
