"""`prepare_datasets`: the one entry point that turns a config's datasets into cached train/eval samples."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data.cache import cache_key, load_entry, save_entry, sweep_abandoned_saves
from engine.data.encode import BatchEncoder, EncodeReport, LengthPolicy, encode_dataset
from engine.data.errors import DataError, NoRowsLeft
from engine.data.formats import build_formatter, ignored_tools_column
from engine.data.loading import load_source
from engine.data.stats import BatchSettings, DataFacts, compute_facts

if TYPE_CHECKING:
    from engine.config import DatasetConfig, RunConfig

Progress = Callable[[str], None]
"""Receives a short line per stage ("loading alpaca.json", "tokenizing ...") for a status bar."""

PARALLEL_FROM_ROWS = 20_000
"""Smaller datasets tokenize faster in one process than it takes to start workers."""


@dataclass(frozen=True)
class PreparedData:
    """Tokenized samples (columns input_ids, labels, length, trained) and what preparing them found."""

    train: Any
    eval: Any | None
    facts: DataFacts
    cache_dir: Path | None
    reused_cache: bool


def prepare_datasets(
    cfg: RunConfig, tokenizer: Any, *, progress: Progress | None = None, world_size: int | None = None
) -> PreparedData:
    """Load, tokenize, mask, length-filter, merge, shuffle and split the config's datasets, cached.

    The cache lives under `dataset_prepared_path` in a folder named by a hash of everything that changes
    the samples, so a second run (or the trainer after `ft-tui preprocess`) reuses it. Raises `DataError`
    with a one-line message for anything the user must fix.
    """
    say = progress or (lambda _message: None)
    folder = Path(cfg.prepared_path()) / cache_key(cfg, tokenizer)
    for abandoned in sweep_abandoned_saves(folder.parent):
        say(f"removed {abandoned.name}, left by a save that was killed")
    cached = load_entry(folder)
    if cached is None:
        train, evaluation, report = build_datasets(cfg, tokenizer, say)
        say(f"saving prepared data to {folder}")
        save_entry(folder, train, evaluation, report)
        saved = load_entry(folder)  # memory-mapped from the files just written: memory holds no rows
        if saved is not None:
            train, evaluation, _ = saved
    else:
        say(f"reusing prepared data in {folder}")
        train, evaluation, report = cached
    facts = facts_for(cfg, train, evaluation, report, world_size=_world_size(world_size))
    return PreparedData(train, evaluation, facts, folder, reused_cache=cached is not None)


def build_datasets(cfg: RunConfig, tokenizer: Any, say: Progress) -> tuple[Any, Any | None, EncodeReport]:
    """Encode every entry, then merge, shuffle and split (test_datasets, if any, become the eval set)."""
    if not cfg.datasets:
        raise DataError("no datasets configured; add at least one entry under `datasets:`")
    train, report = encode_all(cfg, tokenizer, cfg.datasets, say, first_index=0)
    evaluation = None
    if cfg.test_datasets:
        evaluation, eval_report = encode_all(cfg, tokenizer, cfg.test_datasets, say, first_index=len(cfg.datasets))
        report.merge(eval_report)
    else:
        train, evaluation = split(train, cfg.val_set_size, cfg.seed, shuffle=cfg.shuffle_merged_datasets)
    if cfg.test_datasets and cfg.shuffle_merged_datasets:
        train = train.shuffle(seed=cfg.seed)  # the rows are written in this order when the cache is saved
    return train, evaluation, report


def encode_all(
    cfg: RunConfig, tokenizer: Any, entries: list[DatasetConfig], say: Progress, *, first_index: int
) -> tuple[Any, EncodeReport]:
    """Encode and concatenate entries; nothing usable left is an error that says why rows were dropped."""
    import datasets

    policy = length_policy(cfg)
    parts, report = [], EncodeReport()
    for offset, ds in enumerate(entries):
        say(f"loading {ds.path}")
        raw = load_source(ds)
        formatter = build_formatter(ds, cfg, tokenizer)
        ignored = ignored_tools_column(formatter, raw.column_names)
        say(f"tokenizing {ds.path} ({len(raw)} rows)")
        encoded, part_report = encode_dataset(
            raw, formatter, policy, dataset_index=first_index + offset, path=ds.path, num_proc=_processes(cfg, raw)
        )
        if ignored is not None:
            part_report.tools_ignored.append((ds.path, ignored))
        parts.append(encoded)
        report.merge(part_report)
    merged = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    if len(merged) == 0:
        facts = facts_for(cfg, None, None, report, world_size=1)
        raise NoRowsLeft(_nothing_left(report, [e.path for e in entries], first_index), facts)
    return merged, report


def length_policy(cfg: RunConfig) -> LengthPolicy:
    return LengthPolicy(cfg.sequence_len, cfg.effective_excess_length_strategy(), cfg.min_sample_len or 1)


def encode_rows(
    cfg: RunConfig, entry: DatasetConfig, tokenizer: Any, rows: list[dict[str, Any]]
) -> list[tuple[list[int], list[int]]]:
    """`rows` of one `datasets:` entry as the run encodes them (input ids, labels), the rows it would drop left
    out: what a preview of that entry shows, since the merged and shuffled data does not say which entry a
    sample came from."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    batch = {column: [row.get(column) for row in rows] for column in columns}
    table = BatchEncoder(build_formatter(entry, cfg, tokenizer), length_policy(cfg))(batch, list(range(len(rows))))
    kept = [i for i, problem in enumerate(table.column("problem").to_pylist()) if not problem]
    ids, labels = table.column("input_ids").to_pylist(), table.column("labels").to_pylist()
    return [(ids[i], labels[i]) for i in kept]


def split(data: Any, val_set_size: float, seed: int, *, shuffle: bool) -> tuple[Any, Any | None]:
    """Hold out `val_set_size` rows (a fraction below 1, else a count), chosen by `seed`; shuffle the rest."""
    n_eval = eval_row_count(val_set_size, len(data))
    order = np.random.default_rng(seed).permutation(len(data))
    train_idx = order[n_eval:] if shuffle else np.sort(order[n_eval:])
    train = take_rows(data, train_idx)
    if n_eval == 0:
        return train, None
    return train, take_rows(data, np.sort(order[:n_eval]))


def take_rows(data: Any, indices: np.ndarray) -> Any:
    """The rows at `indices`, in that order, as an index mapping over `data` (no copy).

    Copying the rows here (`flatten_indices`, or one Arrow gather into memory) cost seconds and a second copy of
    the token arrays; saving the cache writes them once, batch by batch, and the saved copy is what is returned.
    """
    return data.select(indices)


def eval_row_count(val_set_size: float, rows: int) -> int:
    """Rows to hold out; refuses sizes that leave no training data or are not whole counts."""
    if val_set_size <= 0:
        return 0
    if val_set_size < 1:
        count = math.ceil(val_set_size * rows)
    elif float(val_set_size).is_integer():
        count = int(val_set_size)
    else:
        raise DataError(f"val_set_size {val_set_size} is neither a fraction below 1 nor a whole row count")
    if count >= rows:
        raise DataError(f"val_set_size {val_set_size} holds out {count} of {rows} rows, leaving none to train on")
    return count


def facts_for(
    cfg: RunConfig, train: Any, evaluation: Any | None, report: EncodeReport, *, world_size: int
) -> DataFacts:
    """DataFacts for the prepared samples under this config's batch settings (cheap: lengths only)."""
    settings = BatchSettings(
        sequence_len=cfg.sequence_len,
        micro_batch_size=cfg.micro_batch_size,
        eval_batch_size=cfg.eval_batch_size or cfg.micro_batch_size,
        gradient_accumulation_steps=cfg.effective_gradient_accumulation_steps(world_size),
        world_size=world_size,
        sample_packing=cfg.sample_packing,
        eval_sample_packing=cfg.effective_eval_sample_packing(),
        num_epochs=cfg.num_epochs,
        max_steps=cfg.max_steps,
    )
    paths = [d.path for d in [*cfg.datasets, *(cfg.test_datasets or [])]]
    return compute_facts(
        settings,
        _columns(train),
        _columns(evaluation),
        rows_read=report.rows_read,
        rows_truncated=report.rows_truncated,
        rows_dropped=dict(report.dropped),
        dropped_examples=tuple(issue.describe(paths) for issue in report.examples),
        longest_read=report.longest_read,
        tools_ignored=tuple(report.tools_ignored),
    )


def _columns(data: Any | None) -> tuple[np.ndarray, np.ndarray]:
    if data is None or len(data) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    columns = data.with_format("numpy", columns=["length", "trained"])[:]
    return columns["length"], columns["trained"]


def _nothing_left(report: EncodeReport, paths: list[str], first_index: int) -> str:
    reasons = ", ".join(f"{reason}: {count}" for reason, count in report.dropped.most_common())
    first = report.examples[0].describe([""] * first_index + paths) if report.examples else "no rows at all"
    return f"no usable rows: {report.rows_read} read, all dropped ({reasons or 'empty files'}); first: {first}"


def _processes(cfg: RunConfig, raw: Any) -> int | None:
    """Worker processes for tokenizing: only for large datasets, `dataset_processes` or the CPU count."""
    if len(raw) < PARALLEL_FROM_ROWS:
        return None
    return cfg.dataset_processes or min(8, os.cpu_count() or 1)


def _world_size(world_size: int | None) -> int:
    """Explicit, else the WORLD_SIZE that torchrun/accelerate set, else 1."""
    from engine.world import world_size as launched_world_size

    return world_size or launched_world_size()
