"""The xformers backend's glue (shapes, GQA, one mask block per packed sample), checked against a stand-in kernel.

xformers has no CPU kernels, so the stand-in computes what BlockDiagonalCausalMask means with torch's sdpa; the
real kernel runs on CUDA only.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
import torch

from engine.train.xformers_attention import register, sample_lengths
from tests.tiny import tiny_llama


class BlockDiagonalCausalMask:
    def __init__(self, lengths: list[int]) -> None:
        self.lengths = lengths

    @classmethod
    def from_seqlens(cls, lengths: list[int]) -> BlockDiagonalCausalMask:
        return cls(list(lengths))


def memory_efficient_attention(q: Any, k: Any, v: Any, attn_bias: Any, p: float = 0.0, scale: Any = None) -> Any:
    """[1, tokens, heads, dim] in and out; causal attention inside each block only."""
    parts, start = [], 0
    for n in attn_bias.lengths:
        block = [t[:, start : start + n].transpose(1, 2) for t in (q, k, v)]
        parts.append(torch.nn.functional.scaled_dot_product_attention(*block, is_causal=True, scale=scale))
        start += n
    return torch.cat(parts, dim=2).transpose(1, 2)


@pytest.fixture
def fake_xformers(monkeypatch: pytest.MonkeyPatch) -> None:
    fmha = types.ModuleType("xformers.ops.fmha")
    fmha.attn_bias = types.SimpleNamespace(BlockDiagonalCausalMask=BlockDiagonalCausalMask)  # type: ignore[attr-defined]
    fmha.memory_efficient_attention = memory_efficient_attention  # type: ignore[attr-defined]
    ops = types.ModuleType("xformers.ops")
    ops.fmha = fmha  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xformers", types.ModuleType("xformers"))
    monkeypatch.setitem(sys.modules, "xformers.ops", ops)
    monkeypatch.setitem(sys.modules, "xformers.ops.fmha", fmha)


def test_one_block_per_sample_of_every_row() -> None:
    positions = torch.tensor([[0, 1, 2, 0, 1], [0, 1, 0, 1, 2]])
    assert sample_lengths(positions, 2, 5) == [3, 2, 2, 3]
    assert sample_lengths(None, 2, 5) == [5, 5]


def test_packed_rows_match_each_sample_alone(fake_xformers: None) -> None:
    model = tiny_llama()
    model.set_attn_implementation(register())
    ids = torch.randint(4, 384, (2, 12), generator=torch.Generator().manual_seed(4))
    lengths = [(5, 7), (12,)]
    positions = torch.stack([torch.cat([torch.arange(n) for n in row]) for row in lengths])
    logits = model(input_ids=ids, position_ids=positions, use_cache=False).logits
    alone = tiny_llama()
    for row, row_lengths in enumerate(lengths):
        start = 0
        for n in row_lengths:
            expected = alone(input_ids=ids[row : row + 1, start : start + n], use_cache=False).logits
            torch.testing.assert_close(logits[row : row + 1, start : start + n], expected, rtol=1e-4, atol=1e-5)
            start += n
