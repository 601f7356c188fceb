"""The multipack batch sampler: bins of samples per batch, repacked each epoch, equal batches per rank."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Sampler

from engine.data.packing import Bins, pack

Batch = list[tuple[int, ...]]
"""One micro-batch: a list of bins, each a tuple of dataset row indices packed into one row."""


class MultipackBatchSampler(Sampler[Batch]):
    """Yields micro-batches of packed bins for a `DataLoader(batch_sampler=...)`.

    Use it with `PackedDataset` (so each index is a bin) and `PackedCollator`. Each epoch the samples are
    shuffled among equal lengths and the bins are reordered, from `seed` and the epoch set by
    `set_epoch`; the bin layout, hence `len()`, is the same every epoch. Every rank gets exactly
    `len(self)` batches (the few left over after an even split are skipped that epoch), which keeps
    data-parallel ranks in step. With `even=False` (evaluation) nothing is skipped: every batch goes to one
    rank, and the first ranks may get one batch more.

    With `varlen=True` (flash-attention style kernels) a micro-batch is one bin of micro_batch_size x
    sequence_len tokens, collated into a single long row, which wastes even less space.
    """

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        sequence_len: int,
        micro_batch_size: int,
        *,
        seed: int = 42,
        shuffle: bool = True,
        world_size: int = 1,
        rank: int = 0,
        varlen: bool = False,
        even: bool = True,
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside world_size {world_size}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.capacity = sequence_len * micro_batch_size if varlen else sequence_len
        self.bins_per_batch = 1 if varlen else micro_batch_size
        self.seed, self.shuffle = seed, shuffle
        self.world_size, self.rank = world_size, rank
        self.even = even
        self.epoch = 0
        self._layout = pack(self.lengths, self.capacity)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose shuffle `__iter__` yields (call it before each epoch)."""
        self.epoch = epoch

    def total_batches(self) -> int:
        """Micro-batches over all ranks before the even split."""
        return -(-len(self._layout) // self.bins_per_batch)

    def __len__(self) -> int:
        if self.even:
            return self.total_batches() // self.world_size
        return len(range(self.rank, self.total_batches(), self.world_size))

    def efficiency(self) -> float:
        """Real tokens over bin space for this dataset and capacity."""
        return self._layout.efficiency()

    def epoch_bins(self) -> Bins:
        """This epoch's bins (same layout every epoch, samples shuffled among equal lengths)."""
        if not self.shuffle:
            return self._layout
        rng = np.random.default_rng([self.seed, self.epoch])
        return pack(self.lengths, self.capacity, order=rng.permutation(len(self.lengths)))

    def __iter__(self) -> Iterator[Batch]:
        bins = self.epoch_bins()
        order = np.arange(len(bins))
        if self.shuffle:
            np.random.default_rng([self.seed, self.epoch, 1]).shuffle(order)
        batches = [order[i : i + self.bins_per_batch] for i in range(0, len(order), self.bins_per_batch)]
        mine = batches[self.rank :: self.world_size][: len(self)]
        for batch in mine:
            yield [tuple(bins.bin(int(b)).tolist()) for b in batch]


def length_column(dataset: Any) -> np.ndarray:
    """The `length` column as one int64 array, read in one go (iterating a datasets column formats every row)."""
    if hasattr(dataset, "with_format"):
        return np.asarray(dataset.with_format("numpy", columns=["length"])[:]["length"], dtype=np.int64)
    return np.asarray(dataset["length"], dtype=np.int64)


class PackedDataset(Dataset[list[dict[str, Any]]]):
    """A view of a tokenized dataset whose indices are bins: `view[(3, 9, 12)]` -> those three rows.

    `DataLoader` fetches `dataset[index]` for each index of a batch, so with this view the collator
    receives a list of bins and knows where one packed row ends and the next begins.
    """

    def __init__(self, dataset: Any, columns: Sequence[str] = ("input_ids", "labels")) -> None:
        self.dataset = dataset
        self.columns = tuple(columns)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, rows: Sequence[int]) -> list[dict[str, Any]]:
        batch = self.dataset[list(rows)]
        return [{c: batch[c][i] for c in self.columns} for i in range(len(rows))]
