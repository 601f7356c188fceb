"""The chunked causal-LM loss equals transformers' own loss and gradients, through the model and through peft."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from transformers.loss.loss_utils import ForCausalLMLoss

from engine.train.chunked_loss import causal_lm_loss, use_chunked_loss
from tests.tiny import tiny_llama

IGNORE = -100


def labelled_batch(rows: int = 2, length: int = 24, vocab: int = 384, seed: int = 1) -> dict[str, torch.Tensor]:
    """Two packed-style rows: position ids restart per sample, prompts and each sample's first token are ignored."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, vocab, (rows, length), generator=generator)
    labels = ids.clone()
    labels[:, :5] = IGNORE
    labels[:, 12:15] = IGNORE
    positions = torch.cat([torch.arange(12), torch.arange(length - 12)]).repeat(rows, 1)
    return {"input_ids": ids, "labels": labels, "position_ids": positions}


@pytest.mark.parametrize("num_items", [None, 17], ids=["mean", "num_items_in_batch"])
@pytest.mark.parametrize("bias", [False, True], ids=["no-bias", "bias"])
def test_loss_and_gradients_match_the_unchunked_loss(num_items: int | None, bias: bool) -> None:
    torch.manual_seed(0)
    head = torch.nn.Linear(16, 50, bias=bias)
    hidden = torch.randn(2, 9, 16, requires_grad=True)
    labels = torch.randint(0, 50, (2, 9))
    labels[0, :3] = IGNORE
    labels[1, 6:] = IGNORE

    expected = ForCausalLMLoss(head(hidden), labels, vocab_size=50, num_items_in_batch=num_items)
    expected.backward()
    want = [hidden.grad.clone(), head.weight.grad.clone(), *([head.bias.grad.clone()] if bias else [])]
    hidden.grad = None
    head.zero_grad(set_to_none=True)

    got = causal_lm_loss(hidden, head, labels, num_items, chunk_tokens=4)
    (got * 3).backward()
    have = [hidden.grad, head.weight.grad, *([head.bias.grad] if bias else [])]
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    for name, a, b in zip(("hidden", "weight", "bias"), have, want, strict=False):
        torch.testing.assert_close(a, 3 * b, rtol=1e-4, atol=1e-6, msg=name)


def test_model_loss_and_gradients_match_its_own_forward() -> None:
    batch = labelled_batch()
    reference = tiny_llama(tie_word_embeddings=True).train()
    expected = reference(**batch, use_cache=False).loss
    expected.backward()

    model = tiny_llama(tie_word_embeddings=True).train()
    assert "chunks" in use_chunked_loss(model)
    outputs = model(**batch, use_cache=False, num_items_in_batch=torch.tensor(30))
    assert outputs.logits is None
    loss = outputs.loss * 30 / int((batch["labels"][:, 1:] != IGNORE).sum())
    loss.backward()
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-6)
    want = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        torch.testing.assert_close(parameter.grad, want[name].grad, rtol=1e-4, atol=1e-6, msg=name)


def test_lora_wrapped_model_keeps_the_chunked_loss_and_generation_is_unchanged() -> None:
    from peft import LoraConfig, get_peft_model

    batch = labelled_batch()
    lora = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    reference = get_peft_model(tiny_llama(), lora).train()
    expected = reference(**batch, use_cache=False).loss
    expected.backward()

    base = tiny_llama()
    use_chunked_loss(base)
    model = get_peft_model(base, lora).train()
    outputs = model(**batch, use_cache=False)
    assert outputs.logits is None
    got = outputs.loss
    got.backward()
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    want = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            torch.testing.assert_close(parameter.grad, want[name].grad, rtol=1e-4, atol=1e-6, msg=name)

    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"]).logits
        reference_logits = reference(input_ids=batch["input_ids"]).logits
    torch.testing.assert_close(logits, reference_logits)


def test_evaluation_without_gradients_gives_the_same_loss() -> None:
    batch = labelled_batch(seed=4)
    with torch.no_grad():
        expected = tiny_llama()(**batch).loss
        model = tiny_llama()
        use_chunked_loss(model)
        got = model(**batch).loss
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_bfloat16_model_stays_close_to_its_own_loss() -> None:
    batch = labelled_batch(seed=5)
    reference: Any = tiny_llama().to(torch.bfloat16).train()
    expected = reference(**batch).loss
    model: Any = tiny_llama().to(torch.bfloat16).train()
    use_chunked_loss(model)
    got = model(**batch).loss
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-3)


def test_unknown_model_types_keep_their_own_forward() -> None:
    model = tiny_llama()
    model.config.model_type = "gemma2"
    forward = model.forward
    assert "model's own" in use_chunked_loss(model)
    assert model.forward == forward


def test_tokens_without_a_target_get_no_logits_and_no_gradient() -> None:
    """Only the token before a target gets a gradient; a batch with no target gives a zero loss and zero gradients."""
    torch.manual_seed(0)
    head = torch.nn.Linear(16, 50)
    hidden = torch.randn(1, 6, 16, requires_grad=True)
    labels = torch.full((1, 6), IGNORE)
    labels[0, 3] = 7
    causal_lm_loss(hidden, head, labels).backward()
    assert hidden.grad is not None and hidden.grad[0, 2].abs().sum() > 0
    assert hidden.grad[0, [0, 1, 3, 4, 5]].abs().sum() == 0

    hidden.grad = None
    loss = causal_lm_loss(hidden, head, torch.full((1, 6), IGNORE))
    loss.backward()
    assert float(loss) == 0.0 and hidden.grad.abs().sum() == 0
