"""The packer, the multipack sampler and the collators, including a real DataLoader round trip."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from engine.data.collators import PackedCollator, PaddedCollator, block_causal_mask
from engine.data.packing import pack
from engine.data.sampler import MultipackBatchSampler, PackedDataset


def best_fit_decreasing(lengths: list[int], capacity: int) -> list[int]:
    """Textbook best-fit-decreasing, one item at a time: the reference the vectorised packer must match."""
    remaining: list[int] = []
    for size in sorted(lengths, reverse=True):
        fits = [i for i, r in enumerate(remaining) if r >= size]
        if fits:
            best = min(fits, key=lambda i: remaining[i])
            remaining[best] -= size
        else:
            remaining.append(capacity - size)
    return sorted(remaining)


def test_pack_matches_reference_best_fit_decreasing() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        capacity = int(rng.integers(8, 120))
        lengths = rng.integers(1, capacity + 1, size=int(rng.integers(1, 150)))
        bins = pack(lengths, capacity)
        assert sorted((capacity - bins.loads).tolist()) == best_fit_decreasing(lengths.tolist(), capacity)
        assert sorted(bins.items.tolist()) == list(range(len(lengths)))
        assert all(lengths[bins.bin(i)].sum() == bins.loads[i] <= capacity for i in range(len(bins)))


def test_pack_rejects_items_longer_than_capacity() -> None:
    with pytest.raises(ValueError, match="between 1 and the capacity 10"):
        pack([3, 11], 10)


def test_sampler_length_stable_epochs_differ_and_deterministic() -> None:
    lengths = np.random.default_rng(1).integers(1, 60, size=400)
    sampler = MultipackBatchSampler(lengths, 64, 2, seed=3)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert len(first) == len(second) == len(sampler)
    assert first != second
    assert first == list(MultipackBatchSampler(lengths, 64, 2, seed=3))
    for epoch in (first, second):
        items = sorted(i for batch in epoch for row in batch for i in row)
        assert items == list(range(400))
        assert all(lengths[list(row)].sum() <= 64 for batch in epoch for row in batch)


def test_sampler_gives_every_rank_the_same_number_of_disjoint_batches() -> None:
    lengths = np.random.default_rng(2).integers(1, 60, size=333)
    ranks = [list(MultipackBatchSampler(lengths, 64, 1, world_size=3, rank=r)) for r in range(3)]
    assert len({len(batches) for batches in ranks}) == 1
    seen = [i for batches in ranks for batch in batches for row in batch for i in row]
    assert len(seen) == len(set(seen))


def test_uneven_sampler_gives_every_bin_to_exactly_one_rank() -> None:
    """Evaluation: no bin is skipped to even out the ranks, so the split's loss covers every row once."""
    lengths = np.random.default_rng(3).integers(1, 60, size=333)
    whole = MultipackBatchSampler(lengths, 64, 2, shuffle=False)
    samplers = [
        MultipackBatchSampler(lengths, 64, 2, shuffle=False, world_size=3, rank=r, even=False) for r in [0, 1, 2]
    ]
    ranks = [list(sampler) for sampler in samplers]
    assert [len(batches) for batches in ranks] == [len(sampler) for sampler in samplers]
    assert sum(len(batches) for batches in ranks) == whole.total_batches()
    seen = sorted(i for batches in ranks for batch in batches for row in batch for i in row)
    assert seen == list(range(333))


def test_varlen_mode_packs_micro_batch_times_sequence_len() -> None:
    sampler = MultipackBatchSampler([30] * 8, 64, 2, varlen=True)
    assert sampler.capacity == 128 and len(sampler) == 2
    assert all(len(batch) == 1 and len(batch[0]) == 4 for batch in sampler)


def test_dataloader_round_trip_with_packed_dataset() -> None:
    import datasets

    rows = [{"input_ids": [i] * n, "labels": [i] * n} for i, n in enumerate([5, 9, 3, 7, 2, 6], start=10)]
    data = datasets.Dataset.from_list(rows)
    sampler = MultipackBatchSampler([len(r["input_ids"]) for r in rows], 12, 2, seed=0)
    loader = DataLoader(PackedDataset(data), batch_sampler=sampler, collate_fn=PackedCollator(pad_to=12))
    batches = list(loader)
    assert len(batches) == len(sampler)
    tokens = torch.cat([b["input_ids"].flatten() for b in batches])
    for row in rows:
        assert (tokens == row["input_ids"][0]).sum().item() == len(row["input_ids"])
    for batch in batches:
        assert batch["input_ids"].shape[1] == 12 and "attention_mask" not in batch and batch["use_cache"] is False


def test_packed_collator_positions_labels_and_padding() -> None:
    samples = [{"input_ids": [5, 6, 7], "labels": [5, 6, 7]}, {"input_ids": [8, 9], "labels": [-100, 9]}]
    batch = PackedCollator(pad_token_id=0, pad_to=7)([samples])
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9, 0, 0]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 0, 1]]
    assert batch["labels"].tolist() == [[-100, 6, 7, -100, 9, -100, -100]]


def test_block_causal_mask_and_varlen_kwargs() -> None:
    mask = block_causal_mask([[2, 3]], 5, torch.bool)[0, 0].int().tolist()
    assert mask == [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 1, 1, 1]]
    additive = block_causal_mask([[2, 3]], 5, torch.float32)
    assert additive[0, 0, 1, 0] == 0 and additive[0, 0, 2, 1] == torch.finfo(torch.float32).min
    samples = [{"input_ids": [1, 2], "labels": [1, 2]}, {"input_ids": [3, 4, 5], "labels": [3, 4, 5]}]
    batch = PackedCollator(mode="varlen")([samples])
    assert batch["cu_seq_lens_q"].tolist() == [0, 2, 5] and batch["max_length_k"] == 3


def test_padded_collator() -> None:
    samples: list[dict[str, Any]] = [{"input_ids": [1, 2, 3], "labels": [1, 2, 3]}, {"input_ids": [4], "labels": [4]}]
    batch = PaddedCollator(pad_token_id=0, pad_to_multiple_of=4)(samples)
    assert batch["input_ids"].tolist() == [[1, 2, 3, 0], [4, 0, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 2, 3, -100], [-100, -100, -100, -100]]
