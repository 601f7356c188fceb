"""Attention over packed rows that computes each sample on its own: no block-diagonal mask, no wasted work.

transformers isolates packed samples under sdpa by building a [B, 1, L, L] block-diagonal mask from the position-id
restarts. With a mask, PyTorch's sdpa cannot use its fused causal kernel: it runs the math path, computes the scores
of every token pair (most of them masked out) and keeps the probabilities for the backward pass. Here each sample is
a contiguous slice of its row, so attention runs per slice with `is_causal=True`: the fused kernel, a fraction of the
arithmetic, no L x L tensors. Registered through transformers' AttentionInterface; no mask function is registered
for it, so transformers builds no mask at all.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

PACKED_SDPA = "ft_tui_packed_sdpa"
"""The name the model's attention is switched to when training packed rows with sdpa."""


def packed_sdpa_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    position_ids: torch.Tensor | None = None,
    **_: Any,
) -> tuple[torch.Tensor, None]:
    """Causal attention within each sample of each row; query/key/value are [batch, heads, length, head_dim].

    Samples are found where position ids restart at 0 (the packed collator's layout); right padding is its own
    segment and only attends to itself. Without position ids a row is one sample (causal over the whole row, which
    is exact for right-padded unpacked rows too).

    On the CPU the kernel runs in float32 with grouped key/value heads read in place: PyTorch's CPU flash kernel
    is slower in bfloat16 than in float32, and repeating the shared heads costs a copy; the bf16 way takes 1.7-1.9x
    the time of this one for a layer's forward and backward at SmolLM2's shape (bench/kernel_bench.py). GPUs keep
    the input dtype.
    """
    dtype = query.dtype
    on_cpu = query.device.type == "cpu"
    if on_cpu:
        query, key, value = query.float(), key.float(), value.float()
    else:
        key, value = expand_kv_heads(module, key, value)
    rows = []
    for row, bounds in enumerate(row_segments(position_ids, query.shape[0], query.shape[2])):
        parts = [
            F.scaled_dot_product_attention(
                query[row : row + 1, :, start:end],
                key[row : row + 1, :, start:end],
                value[row : row + 1, :, start:end],
                dropout_p=dropout,
                scale=scaling,
                is_causal=True,
                enable_gqa=on_cpu,
            )
            for start, end in bounds
        ]
        rows.append(parts[0] if len(parts) == 1 else torch.cat(parts, dim=2))
    output = torch.cat(rows, dim=0)
    return output.transpose(1, 2).contiguous().to(dtype), None


def expand_kv_heads(
    module: torch.nn.Module, key: torch.Tensor, value: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Key and value with one head per query head: grouped-query models share each across `num_key_value_groups`."""
    groups = getattr(module, "num_key_value_groups", 1)
    if groups > 1:
        return key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
    return key, value


def row_segments(position_ids: torch.Tensor | None, rows: int, length: int) -> list[list[tuple[int, int]]]:
    """The samples of each row of a batch, as (start, end) bounds (see `segment_bounds`).

    transformers makes one shared [1, L] row of position ids when the batch brings none (unpacked rows)."""
    return [
        segment_bounds(None if position_ids is None else position_ids[row if position_ids.shape[0] > 1 else 0], length)
        for row in range(rows)
    ]


def segment_bounds(positions: torch.Tensor | None, length: int) -> list[tuple[int, int]]:
    """(start, end) of each sample in a row: a new sample begins wherever the position id is 0."""
    if positions is None:
        return [(0, length)]
    starts = torch.nonzero(positions == 0).flatten().tolist()
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    ends = [*starts[1:], length]
    return list(zip(starts, ends, strict=True))


def register() -> str:
    """Make the kernel available to transformers by name (idempotent); returns the name."""
    from transformers import AttentionInterface

    AttentionInterface.register(PACKED_SDPA, packed_sdpa_attention)
    return PACKED_SDPA


def use_packed_sdpa(model: Any) -> None:
    """Switch a loaded model's attention to the per-sample kernel (training and evaluation alike)."""
    register()
    model.set_attn_implementation(PACKED_SDPA)
