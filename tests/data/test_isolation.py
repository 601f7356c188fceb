"""Packed rows must give exactly the logits and loss of the same samples run one by one."""

from __future__ import annotations

import pytest
import torch

from engine.data.collators import PackedCollator
from engine.data.spans import IGNORE_INDEX
from tests.tiny import tiny_llama

LENGTHS = (7, 12, 5, 9)


def _samples(seed: int = 0) -> list[dict[str, list[int]]]:
    """Random token rows; the second half of each is trained, like a prompt followed by an answer."""
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for n in LENGTHS:
        ids = torch.randint(4, 384, (n,), generator=gen).tolist()
        labels = [IGNORE_INDEX] * (n // 2) + ids[n // 2 :]
        samples.append({"input_ids": ids, "labels": labels})
    return samples


def _unpacked(model: torch.nn.Module, samples: list[dict[str, list[int]]]) -> tuple[list[torch.Tensor], float]:
    """Per-sample logits, and the loss over all trained tokens (token-weighted, as packing computes it)."""
    logits, total, count = [], 0.0, 0
    for sample in samples:
        out = model(input_ids=torch.tensor([sample["input_ids"]]), labels=torch.tensor([sample["labels"]]))
        trained = sum(1 for label in sample["labels"][1:] if label != IGNORE_INDEX)
        logits.append(out.logits[0])
        total += out.loss.item() * trained
        count += trained
    return logits, total / count


def _split(logits: torch.Tensor) -> list[torch.Tensor]:
    """Cut a packed row's logits back into the samples (packed in order, from position 0)."""
    parts, start = [], 0
    for n in LENGTHS:
        parts.append(logits[start : start + n])
        start += n
    return parts


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("mode", ["position_ids", "mask_4d"])
@torch.no_grad()
def test_packed_equals_unpacked(attn: str, mode: str) -> None:
    model = tiny_llama(attn_implementation=attn)
    samples = _samples()
    dtype = torch.bool if attn == "sdpa" else torch.float32
    batch = PackedCollator(pad_token_id=3, pad_to=40, mode=mode, mask_dtype=dtype)([samples])
    packed = model(**batch)
    expected_logits, expected_loss = _unpacked(model, samples)
    for got, want in zip(_split(packed.logits[0]), expected_logits, strict=True):
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert packed.loss.item() == pytest.approx(expected_loss, abs=1e-4)


@torch.no_grad()
def test_all_ones_mask_leaks_between_samples() -> None:
    """Control: a 2-D all-ones mask switches off the position-id isolation, so later samples change."""
    model = tiny_llama()
    samples = _samples()
    batch = PackedCollator(pad_token_id=3)([samples])
    batch["attention_mask"] = torch.ones_like(batch["input_ids"])
    leaked = _split(model(**batch).logits[0])
    expected, _ = _unpacked(model, samples)
    torch.testing.assert_close(leaked[0], expected[0], atol=1e-4, rtol=1e-4)
    assert (leaked[1] - expected[1]).abs().max() > 1e-3


@torch.no_grad()
def test_cache_disables_isolation_so_collator_turns_it_off() -> None:
    """Control: with use_cache=True transformers ignores the position restarts; the collator must say False."""
    model = tiny_llama()
    samples = _samples()
    batch = PackedCollator(pad_token_id=3)([samples])
    assert batch["use_cache"] is False
    batch["use_cache"] = True
    leaked = _split(model(**batch).logits[0])
    expected, _ = _unpacked(model, samples)
    assert (leaked[1] - expected[1]).abs().max() > 1e-3


@torch.no_grad()
def test_boundary_label_would_train_across_samples() -> None:
    """Control: if a sample's first label were kept, the packed loss would include cross-sample targets.

    Summed losses (num_items_in_batch=1) make the three extra boundary terms plain to see.
    """
    model = tiny_llama()
    samples = [{"input_ids": s["input_ids"], "labels": list(s["input_ids"])} for s in _samples()]
    batch = PackedCollator(pad_token_id=3)([samples])
    starts = [sum(LENGTHS[:i]) for i in range(len(LENGTHS))]
    assert all(batch["labels"][0, s].item() == IGNORE_INDEX for s in starts)
    _, mean_loss = _unpacked(model, samples)
    expected_sum = mean_loss * sum(n - 1 for n in LENGTHS)
    assert model(**batch, num_items_in_batch=1).loss.item() == pytest.approx(expected_sum, abs=1e-3)
    unmasked = dict(batch, labels=torch.tensor([[t for s in samples for t in s["input_ids"]]]))
    assert model(**unmasked, num_items_in_batch=1).loss.item() - expected_sum > 1.0
