"""xformers' memory-efficient attention as a transformers attention backend (CUDA only, imported on demand).

Registered through transformers' AttentionInterface rather than patched into model classes. Each packed sample
(found where position ids restart) becomes one block of a BlockDiagonalCausalMask over the flattened batch, so
samples never attend to each other and no dense mask exists. No mask function is registered for the name, so
transformers passes no mask; right-padded unpacked rows stay exact under causal attention.
"""

from __future__ import annotations

from typing import Any

import torch

from engine.train.packed_attention import expand_kv_heads, row_segments

XFORMERS = "xformers"


def xformers_attention(
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
    """query/key/value arrive as [batch, heads, length, head_dim]; xformers wants [1, tokens, heads, head_dim]."""
    from xformers.ops import fmha

    batch, heads, length, head_dim = query.shape
    key, value = expand_kv_heads(module, key, value)
    bias = fmha.attn_bias.BlockDiagonalCausalMask.from_seqlens(sample_lengths(position_ids, batch, length))

    def flat(tensor: torch.Tensor) -> torch.Tensor:
        return tensor.transpose(1, 2).reshape(1, batch * length, heads, head_dim)

    output = fmha.memory_efficient_attention(
        flat(query), flat(key), flat(value), attn_bias=bias, p=dropout, scale=scaling
    )
    return output.reshape(batch, length, heads, head_dim), None


def sample_lengths(position_ids: torch.Tensor | None, batch: int, length: int) -> list[int]:
    """Lengths of every sample of every row, in order: the blocks of the block-diagonal mask."""
    return [end - start for bounds in row_segments(position_ids, batch, length) for start, end in bounds]


def register() -> str:
    """Make `attn_implementation: xformers` loadable (idempotent); call before loading the model."""
    from transformers import AttentionInterface

    AttentionInterface.register(XFORMERS, xformers_attention)
    return XFORMERS
