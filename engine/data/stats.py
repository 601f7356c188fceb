"""Facts about the prepared data (counts, tokens, lengths, packing, steps) that reports and rules read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from engine.data.packing import pack

HISTOGRAM_BUCKETS = 16
"""axolotl's wording, so users searching for it find the same advice."""


@dataclass(frozen=True)
class HistogramBucket:
    """Rows whose token length is in [low, high)."""

    low: int
    high: int
    rows: int


@dataclass(frozen=True)
class BatchSettings:
    """The config numbers that turn rows into batches and steps."""

    sequence_len: int
    micro_batch_size: int = 1
    eval_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    world_size: int = 1
    sample_packing: bool = False
    eval_sample_packing: bool = False
    num_epochs: float = 1.0
    max_steps: int | None = None


@dataclass(frozen=True)
class DataFacts:
    """What preparing the data found: exact counts, so the report and the preflight rules need no guessing.

    Token counts are real tokens (no padding). `trained_tokens` counts labels that are not -100.
    Batches are per rank; `eval_batches` is the number of eval batches over all ranks as evaluation runs them
    (packed bins when eval_sample_packing is on, else rows), which decides whether packed evaluation is possible
    (rule packing.eval_split_too_small in engine/rules).
    """

    settings: BatchSettings
    rows_read: int
    train_rows: int
    eval_rows: int
    rows_truncated: int = 0
    rows_dropped: Mapping[str, int] = field(default_factory=dict)
    dropped_examples: tuple[str, ...] = ()
    train_tokens: int = 0
    trained_tokens: int = 0
    eval_tokens: int = 0
    eval_trained_tokens: int = 0
    max_length: int = 0
    """The longest kept sample, in tokens."""
    longest_read: int = 0
    """The longest sample read, in tokens, including those dropped for being over sequence_len."""
    tools_ignored: tuple[tuple[str, str], ...] = ()
    """(dataset path, tools column) of entries whose chat template does not render the tool definitions."""
    mean_length: float = 0.0
    length_histogram: tuple[HistogramBucket, ...] = ()
    packing_efficiency: float = 0.0
    train_bins: int = 0
    train_batches_per_epoch: int = 0
    steps_per_epoch: int = 0
    total_steps: int = 0
    eval_bins: int = 0
    eval_batches: int = 0
    eval_batches_needed: int = 1

    @property
    def rows_dropped_total(self) -> int:
        return sum(self.rows_dropped.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, with the derived flags included."""
        data = asdict(self)
        data["rows_dropped"] = dict(self.rows_dropped)
        data["rows_dropped_total"] = self.rows_dropped_total
        return data


def compute_facts(
    settings: BatchSettings,
    train: tuple[np.ndarray, np.ndarray],
    evaluation: tuple[np.ndarray, np.ndarray],
    *,
    rows_read: int,
    rows_truncated: int = 0,
    rows_dropped: Mapping[str, int] | None = None,
    dropped_examples: tuple[str, ...] = (),
    longest_read: int = 0,
    tools_ignored: tuple[tuple[str, str], ...] = (),
) -> DataFacts:
    """Facts from the (length, trained-token count) arrays of the train and eval samples."""
    train_len, train_trained = (np.asarray(a, dtype=np.int64) for a in train)
    eval_len, eval_trained = (np.asarray(a, dtype=np.int64) for a in evaluation)
    train_bins = len(pack(train_len, settings.sequence_len))
    batches = train_batches_per_epoch(settings, len(train_len), train_bins)
    steps = math.ceil(batches / settings.gradient_accumulation_steps) if batches else 0
    eval_bins = len(pack(eval_len, settings.sequence_len))
    everything = np.concatenate([train_len, eval_len])
    max_length = int(everything.max()) if len(everything) else 0
    eval_units = eval_bins if settings.eval_sample_packing else len(eval_len)
    return DataFacts(
        settings=settings,
        rows_read=rows_read,
        train_rows=len(train_len),
        eval_rows=len(eval_len),
        rows_truncated=rows_truncated,
        rows_dropped=dict(rows_dropped or {}),
        dropped_examples=dropped_examples,
        train_tokens=int(train_len.sum()),
        trained_tokens=int(train_trained.sum()),
        eval_tokens=int(eval_len.sum()),
        eval_trained_tokens=int(eval_trained.sum()),
        max_length=max_length,
        longest_read=max(longest_read, max_length),
        tools_ignored=tools_ignored,
        mean_length=float(everything.mean()) if len(everything) else 0.0,
        length_histogram=histogram(everything, settings.sequence_len),
        packing_efficiency=float(train_len.sum() / (train_bins * settings.sequence_len)) if train_bins else 0.0,
        train_bins=train_bins,
        train_batches_per_epoch=batches,
        steps_per_epoch=steps,
        total_steps=settings.max_steps or math.ceil(steps * settings.num_epochs),
        eval_bins=eval_bins,
        eval_batches=math.ceil(eval_units / settings.eval_batch_size),
        eval_batches_needed=settings.gradient_accumulation_steps * settings.world_size,
    )


def train_batches_per_epoch(settings: BatchSettings, rows: int, bins: int) -> int:
    """Micro-batches each rank runs per epoch, packed (bins, split evenly) or not (rows, padded split)."""
    if settings.sample_packing:
        return math.ceil(bins / settings.micro_batch_size) // settings.world_size
    per_rank = math.ceil(rows / settings.world_size)
    return math.ceil(per_rank / settings.micro_batch_size)


def histogram(lengths: np.ndarray, sequence_len: int) -> tuple[HistogramBucket, ...]:
    """Row counts in equal-width length buckets from 0 to sequence_len."""
    width = max(1, math.ceil(sequence_len / HISTOGRAM_BUCKETS))
    edges = [*range(0, sequence_len, width), sequence_len + 1]
    counts, _ = np.histogram(lengths, bins=edges)
    return tuple(HistogramBucket(edges[i], min(edges[i + 1], sequence_len + 1), int(c)) for i, c in enumerate(counts))
