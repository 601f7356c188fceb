"""The lean LoRA layers give peft's loss and gradients (dropout included) while keeping fewer tensors for backward."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch

import engine.train.lean_lora as lean
from engine.train.chunked_loss import use_chunked_loss
from engine.train.lean_lora import draw_dropout, pack_mask, unpack_mask, use_lean_lora
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
        self.masks, self.p, self.used = masks, p, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.used += 1
        return x * self.masks[self.used - 1].to(x.dtype) / (1 - self.p)


def same_masks_in_peft(monkeypatch: pytest.MonkeyPatch, p: float, *references: Any) -> None:
    """Record every mask the lean layers draw and make each reference's dropout modules replay them."""
    import engine.train.lean_lora as lean

    masks: list[torch.Tensor] = []
    draw = lean.draw_dropout

    def recording(*args: Any) -> tuple[torch.Tensor, torch.Tensor]:
        keep, packed = draw(*args)
        masks.append(keep)
        return keep, packed

    monkeypatch.setattr(lean, "draw_dropout", recording)
    for reference in references:
        replay = ReplayDropout(masks, p)
        for module in reference.modules():
            if hasattr(module, "lora_dropout"):
                module.lora_dropout["default"] = replay


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["no-dropout", "dropout"])
@pytest.mark.parametrize("chunked", [False, True], ids=["model-loss", "chunked-loss"])
def test_loss_and_gradients_match_peft_in_float32(
    dropout: float, chunked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = labelled_batch()
    reference = lora_model(dropout, lean=False, chunked=False)
    if dropout:
        same_masks_in_peft(monkeypatch, dropout, reference)
    got, have = step(lora_model(dropout, chunked=chunked), batch)
    expected, want = step(reference, batch)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    assert have.keys() == want.keys()
    for name, grad in have.items():
        torch.testing.assert_close(grad, want[name], rtol=1e-4, atol=1e-5, msg=name)


def test_bfloat16_autocast_is_as_close_to_float32_as_peft(monkeypatch: pytest.MonkeyPatch) -> None:
    """bf16 rounds differently along each path (the lean layers scale the rank-wide tensors, peft the input), so both
    are held to the same float32 computation: the lean gradients' error is of the size of peft's own."""
    batch = labelled_batch(seed=3)
    reference = lora_model(0.1, torch.bfloat16, lean=False)
    exact = copy.deepcopy(reference).float()
    same_masks_in_peft(monkeypatch, 0.1, reference, exact)
    got, have = step(lora_model(0.1, torch.bfloat16), batch, autocast=True)
    expected, want = step(reference, batch, autocast=True)
    truth, true_grads = step(exact, batch)
    assert abs(float(got - truth)) <= 2 * abs(float(expected - truth)) + 1e-3
    for name, grad in have.items():
        assert grad.dtype == want[name].dtype == torch.float32
        error, peft_error = ((g - true_grads[name]).norm() / true_grads[name].norm() for g in (grad, want[name]))
        assert error < 0.08, name
        assert error < 2 * peft_error, name


CPU = torch.device("cpu")


def assert_independent_drops(keep: torch.Tensor, p: float) -> None:
    """The drop rate, and neighbours dropped together at the rate independence gives (p squared)."""
    dropped = keep.reshape(-1) == 0
    assert abs(float(dropped.float().mean()) - p) < 0.002
    both = float((dropped[1:] & dropped[:-1]).float().mean())
    assert abs(both - p * p) < 0.003


@pytest.mark.parametrize("p", [0.05, 0.5, 0.9])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_dropout_masks_drop_independently_at_the_configured_rate(p: float, dtype: torch.dtype) -> None:
    torch.manual_seed(0)
    shape = torch.Size((1000, 999))
    keep, packed = draw_dropout(shape, p, CPU, dtype)
    assert keep.dtype == dtype and set(keep.unique().tolist()) == {0.0, 1.0}
    assert_independent_drops(keep, p)
    assert torch.equal(unpack_mask(packed, shape, dtype), keep)
    assert torch.equal(packed, pack_mask(keep.bool()))
    assert_independent_drops(lean._threshold_keep_mask(shape, p, CPU).float(), p)
    first, second = (draw_dropout(torch.Size((64,)), 0.5, CPU, dtype)[0] for _ in range(2))
    assert not torch.equal(first, second)


def test_short_batches_of_gaps_draw_again_until_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lean, "_gap_draws", lambda expected: 7)
    torch.manual_seed(1)
    positions = lean.marked_positions(200_000, 0.2, CPU)
    assert bool((positions[1:] > positions[:-1]).all()) and int(positions[0]) >= 0 and int(positions[-1]) < 200_000
    keep = torch.ones(200_000)
    keep[positions] = 0
    assert_independent_drops(keep, 0.2)
    assert lean.marked_positions(1, 0.2, CPU).numel() <= 1


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
    assert torch.equal(unpack_mask(packed, mask.shape, torch.bool), mask)
    assert torch.equal(unpack_mask(packed, mask.shape, torch.bfloat16), mask.to(torch.bfloat16))


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
