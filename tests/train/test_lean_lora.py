"""The lean LoRA layers give peft's loss and gradients (dropout included) while keeping fewer tensors for backward."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from engine.train.chunked_loss import use_chunked_loss
from engine.train.lean_lora import draw_keep_mask, pack_mask, unpack_mask, use_lean_lora
from tests.tiny import tiny_llama
from tests.train.test_chunked_loss import labelled_batch


def lora_model(dropout: float, dtype: torch.dtype = torch.float32, lean: bool = True, chunked: bool = True) -> Any:
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        task_type="CAUSAL_LM",
        r=4,
        lora_alpha=8,
        lora_dropout=dropout,
        target_modules="all-linear",
        init_lora_weights=False,
    )
    base = tiny_llama().to(dtype)
    if chunked:
        use_chunked_loss(base)
    model = get_peft_model(base, lora).train()
    if lean:
        assert "14 linear layers" in use_lean_lora(model)
    return model


def step(model: Any, batch: dict[str, torch.Tensor], autocast: bool = False) -> tuple[torch.Tensor, dict[str, Any]]:
    torch.manual_seed(7)  # the same dropout masks on both sides
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        loss = model(**batch, use_cache=False).loss
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
    return loss.detach(), grads


class ReplayDropout(torch.nn.Module):
    """peft's dropout slot, applying the masks the lean layers drew, in the same order."""

    def __init__(self, masks: list[torch.Tensor], p: float) -> None:
        super().__init__()
        self.masks, self.p = masks, p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.masks.pop(0).to(x.dtype) / (1 - self.p)


def same_masks_in_peft(monkeypatch: pytest.MonkeyPatch, reference: Any, p: float) -> None:
    """Record every mask the lean layers draw and make the reference's dropout modules replay them."""
    import engine.train.lean_lora as lean

    masks: list[torch.Tensor] = []
    draw = lean.draw_keep_mask

    def recording(*args: Any) -> torch.Tensor:
        masks.append(draw(*args))
        return masks[-1]

    monkeypatch.setattr(lean, "draw_keep_mask", recording)
    for module in reference.modules():
        if hasattr(module, "lora_dropout"):
            module.lora_dropout["default"] = ReplayDropout(masks, p)


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("chunked", [False, True], ids=["model-loss", "chunked-loss"])
def test_loss_and_gradients_match_peft_in_float32(
    dropout: float, chunked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = labelled_batch()
    reference = lora_model(dropout, lean=False, chunked=False)
    if dropout:
        same_masks_in_peft(monkeypatch, reference, dropout)
    got, have = step(lora_model(dropout, chunked=chunked), batch)
    expected, want = step(reference, batch)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert have.keys() == want.keys()
    for name, grad in have.items():
        torch.testing.assert_close(grad, want[name], rtol=1e-4, atol=1e-5, msg=name)


def test_bfloat16_autocast_matches_peft(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = labelled_batch(seed=3)
    reference = lora_model(0.1, torch.bfloat16, lean=False)
    same_masks_in_peft(monkeypatch, reference, 0.1)
    got, have = step(lora_model(0.1, torch.bfloat16), batch, autocast=True)
    expected, want = step(reference, batch, autocast=True)
    torch.testing.assert_close(got, expected, rtol=1e-3, atol=1e-3)
    for name, grad in have.items():
        assert grad.dtype == want[name].dtype == torch.float32
        torch.testing.assert_close(grad, want[name], rtol=2e-2, atol=2e-3, msg=name)


def test_dropout_masks_drop_at_the_configured_rate() -> None:
    torch.manual_seed(0)
    for p in (0.05, 0.5):
        kept = draw_keep_mask(torch.Size((1000, 1000)), p, torch.device("cpu")).float().mean()
        assert abs(float(kept) - (1 - p)) < 0.002
    first, second = (draw_keep_mask(torch.Size((64,)), 0.5, torch.device("cpu")) for _ in range(2))
    assert not torch.equal(first, second)


def test_fewer_bytes_are_kept_for_backward() -> None:
    """Counted through torch's saved-tensor hooks: peft keeps float32 copies of each adapted input, lean does not."""
    batch = labelled_batch(length=64)

    def saved_bytes(model: Any) -> int:
        storages: dict[int, int] = {}

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            if not isinstance(tensor, torch.nn.Parameter):
                storages[tensor.untyped_storage().data_ptr()] = tensor.untyped_storage().nbytes()
            return tensor

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
            model(**batch, use_cache=False).loss.backward()
        return sum(storages.values())

    assert saved_bytes(lora_model(0.1)) < 0.8 * saved_bytes(lora_model(0.1, lean=False))


def test_generation_and_disabled_adapters_use_peft_unchanged() -> None:
    batch = labelled_batch(seed=2)
    model = lora_model(0.0)
    reference = lora_model(0.0, lean=False)
    ids = batch["input_ids"]
    with torch.no_grad():
        torch.testing.assert_close(model(input_ids=ids).logits, reference(input_ids=ids).logits)
        with model.disable_adapter(), reference.disable_adapter():
            torch.testing.assert_close(model(input_ids=ids).logits, reference(input_ids=ids).logits)


@pytest.mark.parametrize("shape", [(3, 5, 7), (16,), (1, 1)])
def test_mask_packing_round_trips(shape: tuple[int, ...]) -> None:
    mask = torch.rand(shape) > 0.5
    packed = pack_mask(mask)
    assert packed.dtype == torch.uint8 and packed.numel() == -(-mask.numel() // 8)
    assert torch.equal(unpack_mask(packed, mask.shape), mask)


def test_gradient_checkpointing_recomputes_the_same_dropout_masks() -> None:
    """Checkpointing replays the forward with the saved random state, so the masks and gradients are the same."""
    batch = labelled_batch(seed=6)
    expected, want = step(lora_model(0.3), batch)
    checkpointed = lora_model(0.3)
    checkpointed.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    got, have = step(checkpointed, batch)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    for name, grad in have.items():
        torch.testing.assert_close(grad, want[name], rtol=1e-4, atol=1e-5, msg=name)
