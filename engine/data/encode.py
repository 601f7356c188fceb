"""Run a row formatter over a whole dataset (batched, optionally multi-process) and apply length limits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from engine.data.errors import DataError, FatalRowProblem, RowProblem
from engine.data.formats import RowFormatter
from engine.data.formats.common import TextFormatter
from engine.data.spans import IGNORE_INDEX, TextSample, encode_arrays
from engine.data.workers import WorkerError, map_in_workers

MAX_EXAMPLES_PER_REASON = 5
"""Dropped rows listed by index per reason; the counts are always complete."""

Tokens = tuple[list[int] | np.ndarray, list[int] | np.ndarray]
"""A sample's (input ids, labels): lists from a row formatter, int32 arrays from the batch tokenizer."""

CHARS_PER_TOKEN_LIMIT = 64
MIN_ROW_CHAR_LIMIT = 1_000_000


@dataclass(frozen=True)
class LengthPolicy:
    """What happens to a sample longer than `sequence_len`: drop, truncate or raise (axolotl's names)."""

    sequence_len: int
    strategy: str = "drop"
    min_len: int = 1

    @property
    def max_chars(self) -> int:
        """Rows with more text than this are refused before tokenizing: no tokenizer packs 64 characters into one
        token, so they cannot fit, and tokenizing one 50 MB row took minutes and gigabytes."""
        return max(MIN_ROW_CHAR_LIMIT, CHARS_PER_TOKEN_LIMIT * self.sequence_len)


@dataclass(frozen=True)
class RowIssue:
    """One dropped row: which dataset entry, which row in it, why, and the details."""

    dataset: int
    row: int
    reason: str
    detail: str

    def describe(self, paths: list[str] | None = None) -> str:
        where = f"'{paths[self.dataset]}'" if paths else f"dataset {self.dataset}"
        return f"{where} row {self.row}: {self.detail}"


@dataclass
class EncodeReport:
    """What happened to the rows of one or more entries; counts are exact, examples are capped."""

    rows_read: int = 0
    samples_kept: int = 0
    rows_truncated: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: list[RowIssue] = field(default_factory=list)
    longest_read: int = 0
    """Tokens of the longest sample as formatted, before over-long ones were dropped (truncated ones count at
    sequence_len)."""
    tools_ignored: list[tuple[str, str]] = field(default_factory=list)
    """(dataset path, tools column) of entries whose tool definitions the chat template does not render."""

    def merge(self, other: EncodeReport) -> None:
        self.longest_read = max(self.longest_read, other.longest_read)
        self.tools_ignored.extend(other.tools_ignored)
        self.rows_read += other.rows_read
        self.samples_kept += other.samples_kept
        self.rows_truncated += other.rows_truncated
        self.dropped.update(other.dropped)
        self.examples.extend(other.examples)


class BatchEncoder:
    """The `datasets.map` function: one output row per sample, and one marked row per problem row.

    Problems are returned as data rather than raised, so worker processes never die mid-map and every
    bad row is counted with its index.
    """

    def __init__(self, formatter: RowFormatter, policy: LengthPolicy, offset: int = 0) -> None:
        self.formatter = formatter
        self.policy = policy
        self.offset = offset
        """Row number of the first row this encoder sees (a worker's shard starts further in)."""

    def __call__(self, batch: Mapping[str, list[Any]], indices: list[int]) -> Any:
        """The batch's samples and problem rows as an Arrow table (columns `OUTPUT_COLUMNS`)."""
        out: dict[str, list[Any]] = {k: [] for k in OUTPUT_COLUMNS if k != "trained"}
        columns = list(batch)
        rows = [{c: batch[c][pos] for c in columns} for pos in range(len(indices))]
        if hasattr(self.formatter, "texts"):
            encoded = self._encode_batch(rows)
        else:
            encoded = [self._encode_row(row) for row in rows]
        for index, results in zip(indices, encoded, strict=True):
            for sample, problem, truncated in results:
                _append(out, self.offset + index, sample, problem, truncated)
        return _table(out)

    def _encode_batch(self, rows: Sequence[Mapping[str, Any]]) -> list[list[tuple[Tokens, RowProblem | None, bool]]]:
        """Render every row, tokenize all their texts in one call, then apply the length policy per sample."""
        formatter = cast(TextFormatter, self.formatter)  # __call__ comes here only when it has `texts`
        rendered: list[list[TextSample] | RowProblem] = []
        for row in rows:
            oversized = self._oversized(row)
            if oversized is not None:
                rendered.append(oversized)
                continue
            try:
                rendered.append(formatter.texts(row))
            except RowProblem as problem:
                rendered.append(problem)
        flat = [sample for item in rendered if not isinstance(item, RowProblem) for sample in item]
        arrays = iter(encode_arrays(formatter.tokenizer, flat))
        results: list[list[tuple[Tokens, RowProblem | None, bool]]] = []
        for item in rendered:
            if isinstance(item, RowProblem):
                results.append([((_NO_TOKENS, _NO_TOKENS), item, False)])
            else:
                results.append([self._limit(next(arrays)) for _ in item])
        return results

    def _oversized(self, row: Mapping[str, Any]) -> RowProblem | None:
        """A row with more text than any tokenizer could fit in sequence_len: refused before tokenizing it."""
        size = text_size(row)
        if size <= self.policy.max_chars:
            return None
        detail = f"{size:,} characters, over the {self.policy.max_chars:,} one row may have; not tokenized"
        return RowProblem("too_long", detail)

    def _encode_row(self, row: Mapping[str, Any]) -> list[tuple[Tokens, RowProblem | None, bool]]:
        oversized = self._oversized(row)
        if oversized is not None:
            return [(([], []), oversized, False)]
        try:
            samples = self.formatter(row)
        except RowProblem as problem:
            return [(([], []), problem, False)]
        return [self._limit(sample) for sample in samples]

    def _limit(self, sample: Tokens) -> tuple[Tokens, RowProblem | None, bool]:
        """Apply the length policy and refuse samples with nothing to learn from."""
        ids, labels = sample
        limit, truncated = self.policy.sequence_len, False
        if len(ids) > limit:
            if self.policy.strategy != "truncate":
                return sample, RowProblem("too_long", f"{len(ids)} tokens > sequence_len {limit}"), False
            ids, labels, truncated = ids[:limit], labels[:limit], True
        if len(ids) < self.policy.min_len:
            return sample, RowProblem("too_short", f"{len(ids)} tokens < min_sample_len {self.policy.min_len}"), False
        if not np.any(np.asarray(labels) != IGNORE_INDEX):
            return sample, RowProblem("no_trained_tokens", "no token is trained (nothing to learn)"), False
        return (ids, labels), None, truncated


def text_size(value: Any) -> int:
    """Characters of text in a row, through nested lists and mappings (chat messages). A plain loop: this runs
    over every row before it is formatted."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        value = value.values()
    elif not isinstance(value, list):
        return 0
    total = 0
    for item in value:
        total += len(item) if type(item) is str else text_size(item)
    return total


OUTPUT_COLUMNS = ("input_ids", "labels", "length", "trained", "source_row", "problem", "detail", "truncated")
"""The columns `BatchEncoder` returns; `trained` is added when the table is built."""


def _append(out: dict[str, list[Any]], index: int, sample: Tokens, problem: RowProblem | None, truncated: bool) -> None:
    ids, labels = (_NO_TOKENS, _NO_TOKENS) if problem else (_int32(sample[0]), _int32(sample[1]))
    out["input_ids"].append(ids)
    out["labels"].append(labels)
    out["length"].append(len(sample[0]))  # a dropped sample keeps its length, for the report's longest row
    out["source_row"].append(index)
    out["problem"].append(_reason(problem))
    out["detail"].append(problem.detail if problem else "")
    out["truncated"].append(truncated)


def _table(out: dict[str, list[Any]]) -> Any:
    """The columns as an Arrow table; the token columns are built from one concatenated array each.

    Handing datasets a list of numpy arrays made it convert them one by one; an Arrow list array built from the
    concatenation and its offsets is one copy. `trained` is counted on the concatenation too.
    """
    import pyarrow as pa

    sizes = np.fromiter((len(ids) for ids in out["input_ids"]), dtype=np.int64, count=len(out["input_ids"]))
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    ids = np.concatenate(out["input_ids"]) if len(sizes) else _NO_TOKENS
    labels = np.concatenate(out["labels"]) if len(sizes) else _NO_TOKENS
    trained_so_far = np.concatenate([[0], np.cumsum(labels != IGNORE_INDEX)])
    arrow_offsets = pa.array(offsets.astype(np.int32))
    columns = {
        "input_ids": pa.ListArray.from_arrays(arrow_offsets, pa.array(ids, type=pa.int32())),
        "labels": pa.ListArray.from_arrays(arrow_offsets, pa.array(labels, type=pa.int32())),
        "length": pa.array(out["length"], type=pa.int32()),
        "trained": pa.array(trained_so_far[offsets[1:]] - trained_so_far[offsets[:-1]], type=pa.int32()),
        "source_row": pa.array(out["source_row"], type=pa.int64()),
        "problem": pa.array(out["problem"], type=pa.string()),
        "detail": pa.array(out["detail"], type=pa.string()),
        "truncated": pa.array(out["truncated"], type=pa.bool_()),
    }
    return pa.table(columns)


_NO_TOKENS = np.zeros(0, dtype=np.int32)


def _int32(values: Any) -> np.ndarray:
    """Token columns as int32 arrays: datasets stores them without a Python int per token."""
    return np.asarray(values, dtype=np.int32)


def _reason(problem: RowProblem | None) -> str:
    if problem is None:
        return ""
    return f"fatal:{problem.reason}" if isinstance(problem, FatalRowProblem) else problem.reason


def output_features() -> Any:
    """Explicit column types, so a batch where every row was dropped still has the right schema."""
    import datasets

    ints = datasets.List(datasets.Value("int32"))
    return datasets.Features(
        {
            "input_ids": ints,
            "labels": ints,
            "length": datasets.Value("int32"),
            "trained": datasets.Value("int32"),
            "source_row": datasets.Value("int64"),
            "problem": datasets.Value("string"),
            "detail": datasets.Value("string"),
            "truncated": datasets.Value("bool"),
        }
    )


def encode_dataset(
    raw: Any, formatter: RowFormatter, policy: LengthPolicy, *, dataset_index: int, path: str, num_proc: int | None
) -> tuple[Any, EncodeReport]:
    """Tokenize every row of `raw`; returns the kept samples (input_ids, labels, length, trained) and a report."""
    settings: dict[str, Any] = {
        "batched": True,
        "batch_size": 256,
        "with_indices": True,
        "remove_columns": raw.column_names,
        "features": output_features(),
        "load_from_cache_file": False,
        "desc": f"tokenizing {path}",
    }
    if num_proc and num_proc > 1 and len(raw) >= num_proc:
        try:
            mapped = map_in_workers(
                raw, lambda _shard, offset: BatchEncoder(formatter, policy, offset), num_proc, **settings
            )
        except WorkerError as error:
            raise DataError(f"tokenizing '{path}' failed in a worker process: {error}") from error
    else:
        mapped = raw.map(BatchEncoder(formatter, policy), **settings)
    problems = _column(mapped, "problem").to_pylist()
    report = _report(mapped, problems, len(raw), dataset_index)
    _raise_fatal(report, policy, path)
    if report.samples_kept < len(problems):
        mapped = mapped.select([i for i, p in enumerate(problems) if not p])
    return mapped.remove_columns(["problem", "detail", "source_row", "truncated"]), report


def _column(data: Any, name: str) -> Any:
    """One column as an Arrow array, read in one go: iterating a datasets column formats every row (seconds a
    hundred thousand rows)."""
    return data.with_format("arrow", columns=[name])[:][name]


def _report(mapped: Any, problems: list[str], rows_read: int, dataset_index: int) -> EncodeReport:
    report = EncodeReport(rows_read=rows_read)
    report.rows_truncated = int(np.count_nonzero(_column(mapped, "truncated").to_numpy(zero_copy_only=False)))
    lengths = _column(mapped, "length").to_numpy()
    report.longest_read = int(lengths.max()) if len(lengths) else 0
    bad = [i for i, p in enumerate(problems) if p]
    report.samples_kept = len(problems) - len(bad)
    if not bad:
        return report
    dropped = mapped.select(bad)
    details, rows = _column(dropped, "detail").to_pylist(), _column(dropped, "source_row").to_pylist()
    for i, detail, row in zip(bad, details, rows, strict=True):
        reason = problems[i]
        report.dropped[reason] += 1
        if report.dropped[reason] <= MAX_EXAMPLES_PER_REASON:
            report.examples.append(RowIssue(dataset_index, row, reason, detail))
    return report


def _raise_fatal(report: EncodeReport, policy: LengthPolicy, path: str) -> None:
    """Unknown roles always stop the run; over-long rows stop it under `excess_length_strategy: raise`."""
    for issue in report.examples:
        if issue.reason.startswith("fatal:"):
            raise DataError(f"'{path}' row {issue.row}: {issue.detail}")
    if policy.strategy == "raise":
        for issue in report.examples:
            if issue.reason == "too_long":
                raise DataError(
                    f"'{path}' row {issue.row}: {issue.detail}; raise sequence_len or set "
                    "`excess_length_strategy: drop` (or truncate)"
                )
