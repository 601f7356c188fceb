"""Config keys for the data: datasets, the evaluation split, sequence length and sample packing."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from engine.config.base import StrictModel
from engine.config.datasets import DatasetConfig


class DataSection(StrictModel):
    """What to train on and how rows become batches."""

    datasets: list[DatasetConfig] = Field(default_factory=list)
    """The training datasets; several are merged and shuffled with `seed`."""
    test_datasets: list[DatasetConfig] | None = None
    """Datasets used only for evaluation, instead of splitting off `val_set_size`."""
    dataset_prepared_path: str | None = None
    """Folder where tokenized, packed data is cached and reused (default: `prepared` in ft-tui's user cache
    folder, so nothing is written where you run ft-tui)."""
    dataset_processes: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("dataset_processes", "dataset_num_proc")
    )
    """Processes used to tokenize large datasets (default: the number of CPU cores). axolotl's newer spelling
    `dataset_num_proc` is read too."""
    shuffle_merged_datasets: bool = True
    """Shuffle the rows of all datasets together after merging them."""
    val_set_size: float = Field(default=0.0, ge=0.0)
    """How much data to hold out for evaluation: a fraction below 1 (0.05 = 5%) or a row count."""
    sequence_len: int = Field(default=512, ge=8, le=4_194_304)
    """The longest sequence in tokens. Longer rows are dropped or truncated; with packing it is also the size of
    each packed row. Memory grows with it."""
    excess_length_strategy: Literal["drop", "truncate", "raise"] | None = None
    """What to do with rows longer than `sequence_len`: drop them (default), truncate them, or stop with an
    error."""
    min_sample_len: int | None = Field(default=None, ge=1)
    """Drop rows shorter than this many tokens."""
    sample_packing: bool = False
    """Pack several short rows into each `sequence_len` row, with attention kept within each row's own sample.
    Usually 2-5x fewer steps for the same data."""
    eval_sample_packing: bool | None = None
    """Pack the evaluation split too (default: same as `sample_packing`). Turn it off for a small eval split:
    packing needs at least `gradient_accumulation_steps` packed eval batches."""
    pad_to_sequence_len: bool | None = None
    """Pad every batch to exactly `sequence_len` tokens: steady memory use at the cost of wasted compute."""
    sample_packing_eff_est: float | None = Field(default=None, gt=0, le=1)
    """axolotl's packing-efficiency estimate. ft-tui computes the exact value instead; kept for compatibility."""
    train_on_inputs: bool = False
    """Also compute the loss on prompts and user turns, not only on the answers the model should write."""
    group_by_length: bool | None = None
    """Batch rows of similar length together (without packing) to waste less padding."""
