"""peft's LoRA linear layer with the same arithmetic and a fraction of the activations kept for backward.

For every adapted linear layer peft runs `lora_B(lora_A(dropout(x.to(adapter dtype))))`: the input is copied to the
adapter's float32, the CPU dropout keeps a float32 noise tensor of the input's size, and under bf16 autocast
`lora_A` keeps a bf16 copy of the dropped input. That is 6 bytes per input element per layer (q, k, v, o, gate, up
and down each): at 4096 tokens on SmolLM2-135M it is the largest group of saved tensors of a step, larger than the
decoder's own activations. Here one autograd Function computes the same delta and keeps only the input itself
(already kept by the base layer's matmul, so shared), the dropout mask packed to one bit per element, and the small
[tokens x r] output of `lora_A`; backward rebuilds the dropped input from those. The dropout mask comes from 32-bit
integer draws (a drop rate within 2**-32 of `lora_dropout`, several times faster than torch's CPU Bernoulli
sampling), so a run's masks differ from peft's as they would under another seed; without dropout the result is
peft's to rounding. Plain torch: the same path on CPU and GPU.

Only plain LoRA on `torch.nn.Linear` bases is covered (no DoRA or other variants, fan_in_fan_out, mixed adapter
batches, merged or disabled adapters); every other call goes to peft's own forward.
"""

from __future__ import annotations

import types
from typing import Any

import torch
import torch.nn.functional as F

_BIT_WEIGHTS = (1, 2, 4, 8, 16, 32, 64, 128)


def pack_mask(mask: torch.Tensor) -> torch.Tensor:
    """A bool tensor as uint8, eight elements a byte (padded at the end)."""
    flat = mask.reshape(-1)
    padding = (-flat.numel()) % 8
    if padding:
        flat = F.pad(flat, (0, padding))
    eights = flat.view(torch.uint8).view(-1, 8)  # a bool is one byte holding 0 or 1
    packed = eights[:, 0].clone()
    for bit in range(1, 8):
        packed |= eights[:, bit] << bit
    return packed


def unpack_mask(packed: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """The bool tensor `pack_mask` packed."""
    weights = torch.tensor(_BIT_WEIGHTS, dtype=torch.uint8, device=packed.device)
    bits = (packed.unsqueeze(1) & weights).bool()
    return bits.reshape(-1)[: shape.numel()].view(shape)


def draw_keep_mask(shape: torch.Size, p: float, device: torch.device) -> torch.Tensor:
    """A bool mask that keeps each element with probability 1 - p (to 2**-32), from 32 random bits an element.

    torch's CPU dropout draws one float Bernoulli sample an element, about 7x slower than these 64-bit integer
    draws cut in two; with 210 adapted layers that sampling was a tenth of a training step's time.
    """
    count = shape.numel()
    words = torch.empty((count + 1) // 2, dtype=torch.int64, device=device).random_(-(2**63), 2**63 - 1)
    bits = words.view(torch.int32)[:count].view(shape)
    return bits >= -(2**31) + round(p * 2**32)


class LoraDelta(torch.autograd.Function):
    """`scaling * B(A(dropout(x)))` for a frozen input path: keeps x, a 1-bit mask and A's [tokens x r] output."""

    @staticmethod
    def forward(
        ctx: Any,
        x: torch.Tensor,
        weight_a: torch.Tensor,
        weight_b: torch.Tensor,
        dropout_p: float,
        scaling: float,
        compute_dtype: torch.dtype,
    ) -> torch.Tensor:
        keep = draw_keep_mask(x.shape, dropout_p, x.device) if dropout_p > 0 else None
        with torch.autocast(x.device.type, enabled=False):
            dropped = _dropped(x, keep, dropout_p, compute_dtype)
            low_rank = F.linear(dropped, weight_a.to(compute_dtype))
            del dropped
            delta = F.linear(low_rank, weight_b.to(compute_dtype)) * scaling
        ctx.dropout_p, ctx.scaling, ctx.compute_dtype = dropout_p, scaling, compute_dtype
        ctx.shape = x.shape
        ctx.save_for_backward(x, weight_a, weight_b, low_rank, None if keep is None else pack_mask(keep))
        return delta

    @staticmethod
    def backward(ctx: Any, grad_delta: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight_a, weight_b, low_rank, packed = ctx.saved_tensors
        dtype, p = ctx.compute_dtype, ctx.dropout_p
        keep = None if packed is None else unpack_mask(packed, ctx.shape)
        with torch.autocast(x.device.type, enabled=False):
            grad = grad_delta.to(dtype) * ctx.scaling
            grad_b = grad.reshape(-1, grad.shape[-1]).t() @ low_rank.reshape(-1, low_rank.shape[-1])
            grad_low = grad @ weight_b.to(dtype)
            dropped = _dropped(x, keep, p, dtype)
            grad_a = grad_low.reshape(-1, grad_low.shape[-1]).t() @ dropped.reshape(-1, dropped.shape[-1])
            del dropped
            grad_x = None
            if ctx.needs_input_grad[0]:
                grad_x = grad_low @ weight_a.to(dtype)
                if keep is not None:
                    grad_x = torch.where(keep, grad_x, 0).mul_(1 / (1 - p))
                grad_x = grad_x.to(x.dtype)
        return grad_x, grad_a.to(weight_a.dtype), grad_b.to(weight_b.dtype), None, None, None


def _dropped(x: torch.Tensor, keep: torch.Tensor | None, p: float, dtype: torch.dtype) -> torch.Tensor:
    """dropout(x) in `dtype`: dropped elements zero, kept ones scaled by 1 / (1 - p)."""
    dropped = x.to(dtype)
    if keep is None:
        return dropped
    return torch.where(keep, dropped, 0).mul_(1 / (1 - p))


def lean_applies(layer: Any, x: torch.Tensor, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """The single active adapter when this call is plain LoRA that `LoraDelta` computes exactly, else None."""
    if args or kwargs or layer.disable_adapters or layer.merged or getattr(layer, "fan_in_fan_out", False):
        return None
    if type(layer.base_layer) is not torch.nn.Linear or not getattr(layer, "cast_input_dtype_enabled", True):
        return None
    active = [name for name in layer.active_adapters if name in layer.lora_A]
    if len(active) != 1 or active[0] in layer.lora_variant:
        return None
    dropout = layer.lora_dropout[active[0]]
    if not isinstance(dropout, torch.nn.Identity | torch.nn.Dropout):
        return None
    return active[0]


def lean_forward(self: Any, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    """peft's `lora.Linear.forward` for the plain case, through `LoraDelta`; anything else to peft's own."""
    adapter = lean_applies(self, x, args, kwargs)
    if adapter is None:
        return type(self).forward(self, x, *args, **kwargs)
    result = self.base_layer(x)
    weight_a, weight_b = self.lora_A[adapter].weight, self.lora_B[adapter].weight
    dropout = self.lora_dropout[adapter]
    p = dropout.p if isinstance(dropout, torch.nn.Dropout) and dropout.training else 0.0
    device = x.device.type
    compute_dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else weight_a.dtype
    delta = LoraDelta.apply(x, weight_a, weight_b, p, self.scaling[adapter], compute_dtype)
    return (result + delta).to(result.dtype)


def use_lean_lora(model: Any) -> str:
    """Route every peft `lora.Linear` of the model through `lean_forward`; returns a note for the log."""
    from peft.tuners.lora.layer import Linear as LoraLinear

    layers = [module for module in model.modules() if type(module) is LoraLinear]
    for layer in layers:
        layer.forward = types.MethodType(lean_forward, layer)  # type: ignore[method-assign]  # one instance, on purpose
    if not layers:
        return "lora: peft's own layers (no plain LoRA linear layer to make lean)"
    return f"lora: {len(layers)} linear layers keep a 1-bit dropout mask, not copies of their input, for backward"
