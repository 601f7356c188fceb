"""Per-sample sdpa on packed rows gives what each sample gives alone, and builds no attention mask."""

from __future__ import annotations

import torch

from engine.train.packed_attention import PACKED_SDPA, segment_bounds, use_packed_sdpa
from tests.tiny import tiny_llama


def test_segments_start_where_positions_restart() -> None:
    positions = torch.tensor([0, 1, 2, 0, 1, 0, 1, 2, 3])
    assert segment_bounds(positions, 9) == [(0, 3), (3, 5), (5, 9)]
    assert segment_bounds(None, 4) == [(0, 4)]


def test_packed_rows_match_each_sample_alone() -> None:
    lengths = [(7, 9, 4), (12, 8)]
    ids = torch.randint(4, 384, (2, 20), generator=torch.Generator().manual_seed(1))
    positions = torch.stack([torch.cat([torch.arange(n) for n in row]) for row in lengths])
    packed = tiny_llama()
    use_packed_sdpa(packed)
    assert packed.config._attn_implementation == PACKED_SDPA
    logits = packed(input_ids=ids, position_ids=positions, use_cache=False).logits
    alone = tiny_llama()
    for row, row_lengths in enumerate(lengths):
        start = 0
        for n in row_lengths:
            expected = alone(input_ids=ids[row : row + 1, start : start + n], use_cache=False).logits
            torch.testing.assert_close(logits[row : row + 1, start : start + n], expected, rtol=1e-4, atol=1e-5)
            start += n


def test_right_padded_rows_without_positions_match_unpadded() -> None:
    """Unpacked eval batches reach the kernel with a padding mask transformers drops: right padding stays exact."""
    ids = torch.randint(4, 384, (2, 10), generator=torch.Generator().manual_seed(2))
    mask = torch.tensor([[1] * 10, [1] * 6 + [0] * 4])
    packed = tiny_llama()
    use_packed_sdpa(packed)
    logits = packed(input_ids=ids, attention_mask=mask, use_cache=False).logits
    expected = tiny_llama()(input_ids=ids[1:, :6], use_cache=False).logits
    torch.testing.assert_close(logits[1:, :6], expected, rtol=1e-4, atol=1e-5)
