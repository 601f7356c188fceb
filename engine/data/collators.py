"""Collators: padding-free packed rows (position-id restarts, or an explicit mask) and plain padded batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch

from engine.data.spans import IGNORE_INDEX

Sample = Mapping[str, Sequence[int]]
PackMode = Literal["position_ids", "mask_4d", "varlen"]


@dataclass(frozen=True)
class PackedCollator:
    """Concatenates each bin's samples into one row; attention stays inside each sample.

    - `position_ids` (default): no attention_mask at all. transformers >= 5 builds a block-diagonal
      causal mask from the position-id restarts only when attention_mask is None (and no cache is
      used); an all-ones 2-D mask would switch that off and let samples attend to each other.
    - `mask_4d`: also an explicit [B, 1, L, L] block-diagonal causal mask, for attention paths that do
      not read position ids (bool for sdpa; a float dtype gives the additive form eager attention needs).
    - `varlen`: also cu_seq_lens_q/k and max_length_q/k for flash-attention's variable-length kernels,
      computed over the flattened batch (use it with one long row per batch).

    The batch also carries `use_cache=False`: with a cache, transformers skips the position-id packing
    detection (it assumes generation) and the samples would silently attend to each other.

    The label at each sample's first position is always -100: otherwise the last token of the previous
    sample would be trained to predict it (transformers shifts labels by one inside the row).
    """

    pad_token_id: int = 0
    pad_to: int | None = None
    mode: PackMode = "position_ids"
    mask_dtype: torch.dtype = torch.bool

    def __call__(self, bins: Sequence[Sequence[Sample] | Sample]) -> dict[str, Any]:
        rows = [_pack_row(_as_bin(b)) for b in bins]
        width = self.pad_to or max(len(ids) for ids, _, _, _ in rows)
        padded = [self._pad(row, width) for row in rows]
        batch: dict[str, Any] = {
            "input_ids": torch.tensor([r[0] for r in padded], dtype=torch.long),
            "labels": torch.tensor([r[1] for r in padded], dtype=torch.long),
            "position_ids": torch.tensor([r[2] for r in padded], dtype=torch.long),
            "use_cache": False,
        }
        segment_lengths = [r[3] for r in padded]
        if self.mode == "mask_4d":
            batch["attention_mask"] = block_causal_mask(segment_lengths, width, self.mask_dtype)
        elif self.mode == "varlen":
            batch.update(varlen_kwargs(segment_lengths))
        return batch

    def _pad(self, row: tuple[list[int], list[int], list[int], list[int]], width: int) -> tuple[Any, ...]:
        ids, labels, positions, lengths = row
        extra = width - len(ids)
        if extra < 0:
            raise ValueError(f"a packed row has {len(ids)} tokens, more than pad_to={width}")
        if extra == 0:
            return ids, labels, positions, lengths
        # Padding is its own segment (positions restart at 0), so it never joins a real sample.
        return (
            ids + [self.pad_token_id] * extra,
            labels + [IGNORE_INDEX] * extra,
            positions + list(range(extra)),
            [*lengths, extra],
        )


def _as_bin(item: Sequence[Sample] | Sample) -> Sequence[Sample]:
    """A bare sample (not in a list) is a bin of one."""
    return [item] if isinstance(item, Mapping) else item


def _pack_row(samples: Sequence[Sample]) -> tuple[list[int], list[int], list[int], list[int]]:
    """input ids, labels, position ids (restarting per sample) and sample lengths of one packed row."""
    ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []
    lengths: list[int] = []
    for sample in samples:
        n = len(sample["input_ids"])
        ids.extend(sample["input_ids"])
        labels.append(IGNORE_INDEX)
        labels.extend(list(sample["labels"])[1:n])
        positions.extend(range(n))
        lengths.append(n)
    return ids, labels, positions, lengths


def block_causal_mask(segment_lengths: Sequence[Sequence[int]], width: int, dtype: torch.dtype) -> torch.Tensor:
    """[B, 1, L, L] mask: token i sees token j iff j <= i and both are in the same segment."""
    segments = torch.stack([torch.repeat_interleave(torch.arange(len(s)), torch.tensor(s)) for s in segment_lengths])
    same = segments[:, :, None] == segments[:, None, :]
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    allowed = (same & causal)[:, None, :, :]
    if dtype == torch.bool:
        return allowed
    zero = torch.zeros((), dtype=dtype)
    return torch.where(allowed, zero, torch.finfo(dtype).min)


def varlen_kwargs(segment_lengths: Sequence[Sequence[int]]) -> dict[str, torch.Tensor | int]:
    """Cumulative sequence lengths over the flattened batch, as flash-attention's varlen kernels take them."""
    flat = [n for row in segment_lengths for n in row]
    cu = torch.zeros(len(flat) + 1, dtype=torch.int32)
    cu[1:] = torch.cumsum(torch.tensor(flat, dtype=torch.int32), dim=0)
    longest = max(flat)
    return {"cu_seq_lens_q": cu, "cu_seq_lens_k": cu, "max_length_q": longest, "max_length_k": longest}


@dataclass(frozen=True)
class PaddedCollator:
    """One sample per row, right-padded to the longest in the batch (or to `pad_to`), with a 2-D mask.

    For `sample_packing: false`; `pad_to=sequence_len` implements `pad_to_sequence_len`.
    """

    pad_token_id: int = 0
    pad_to: int | None = None
    pad_to_multiple_of: int | None = None

    def __call__(self, samples: Sequence[Sample]) -> dict[str, torch.Tensor]:
        width = self.pad_to or max(len(s["input_ids"]) for s in samples)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        ids, labels, mask = [], [], []
        for sample in samples:
            n = len(sample["input_ids"])
            if n > width:
                raise ValueError(f"a sample has {n} tokens, more than pad_to={width}")
            ids.append(list(sample["input_ids"]) + [self.pad_token_id] * (width - n))
            labels.append([IGNORE_INDEX, *list(sample["labels"])[1:n]] + [IGNORE_INDEX] * (width - n))
            mask.append([1] * n + [0] * (width - n))
        return {
            "input_ids": torch.tensor(ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(mask, dtype=torch.long),
        }
