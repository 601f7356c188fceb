"""peft's LoRA linear layer with the same arithmetic and a fraction of the activations kept for backward.

For every adapted linear layer peft runs `lora_B(lora_A(dropout(x.to(adapter dtype))))`: the input is copied to the
adapter's float32, the CPU dropout keeps a float32 noise tensor of the input's size, and under bf16 autocast
`lora_A` keeps a bf16 copy of the dropped input. That is 6 bytes per input element per layer (q, k, v, o, gate, up
and down each): at 4096 tokens on SmolLM2-135M it is the largest group of saved tensors of a step, larger than the
decoder's own activations. Here one autograd Function computes the same delta and keeps only the input itself
(already kept by the base layer's matmul, so shared), the dropout mask packed to one bit per element, and the small
[tokens x r] output of `lora_A`; backward rebuilds the dropped input from those, and dropout's 1 / (1 - p) scales
the rank-wide tensors, not input-sized ones. The dropout masks are drawn another way than torch's (on the CPU from
geometric gaps between drops, a draw per dropped element instead of one per element), so a run's masks differ from
peft's as they would under another seed; without dropout the result is peft's to rounding. Plain torch: the same
path on CPU and GPU.

Only plain LoRA on `torch.nn.Linear` bases is covered (no DoRA or other variants, fan_in_fan_out, mixed adapter
batches, merged or disabled adapters); every other call goes to peft's own forward.
"""

from __future__ import annotations

import functools
import math
import types
from typing import Any

import torch
import torch.nn.functional as F

_GATHER_BITS = 0x0102040810204080
"""Multiplying eight 0/1 bytes read as one little-endian int64 by this moves byte i's bit to bit 56 + i; the other
partial products land on distinct bits outside 56-63 (below 56, or past 64 and dropped), so no carry disturbs them."""


def draw_dropout(
    shape: torch.Size, p: float, device: torch.device, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """A keep mask for dropout at rate p, as 0/1 values in `dtype` (to multiply by) and packed a bit an element
    (to keep for backward).

    On the CPU only the rarer outcome is drawn: the gaps between dropped elements (kept ones when p > 0.5) of an
    independent Bernoulli sequence are geometric, so about `p * n` uniform draws place them all, where one draw an
    element (torch's CPU dropout, or integer draws compared to a threshold) costs `n`; both forms are then written
    from those positions. At lora_dropout 0.05 that is a twentieth of the random numbers, and no pass over a bool
    tensor (torch's CPU kernels for bool masks are several times slower than a multiply). On a GPU, where random
    numbers are cheap and reading a value back to the host waits for the device, one 32-bit draw an element is
    compared to a threshold instead (a drop rate within 2**-32 of p).
    """
    if torch.device(device).type != "cpu":
        keep = _threshold_keep_mask(shape, p, device)
        return keep.to(dtype), pack_mask(keep)
    flip = p > 0.5  # mark the kept elements instead
    count = shape.numel()
    marked = marked_positions(count, 1 - p if flip else p, device)
    mask = torch.full((count,), 0.0 if flip else 1.0, dtype=dtype, device=device)
    mask[marked] = 1.0 if flip else 0.0
    bits = torch.zeros(-(-count // 8), dtype=torch.int32, device=device)
    bits.index_add_(0, marked >> 3, torch.ones_like(marked, dtype=torch.int32) << (marked & 7).to(torch.int32))
    packed = bits if flip else bits.neg_().add_(255)  # positions are distinct: the sum of their bits is their OR
    return mask.view(shape), packed.to(torch.uint8)


def marked_positions(count: int, rate: float, device: torch.device) -> torch.Tensor:
    """Sorted positions in range(count), each one marked independently with probability `rate` (0 < rate < 1).

    A gap `floor(log(u) / log(1 - rate)) + 1` with u uniform in (0, 1] is geometric: P(gap > k) = (1 - rate)**k.
    Gaps are drawn in float64 in batches sized to pass the end with near certainty; a short batch draws another.
    """
    log_unmarked = math.log1p(-rate)
    batches: list[torch.Tensor] = []
    last = -1
    while last < count - 1:
        draws = _gap_draws((count - 1 - last) * rate)
        uniform = torch.rand(draws, dtype=torch.float64, device=device).neg_().add_(1)  # in (0, 1]
        gaps = uniform.log_().div_(log_unmarked).floor_().add_(1).to(torch.int64)
        batches.append(gaps.cumsum_(0).add_(last))
        last = int(batches[-1][-1])
    positions = batches[0] if len(batches) == 1 else torch.cat(batches)
    return positions[: int(torch.searchsorted(positions, count))]


def _gap_draws(expected: float) -> int:
    """Gaps to draw for `expected` marks: six standard deviations over, so another batch is almost never needed."""
    return int(expected + 6 * math.sqrt(expected) + 16)


def _threshold_keep_mask(shape: torch.Size, p: float, device: torch.device) -> torch.Tensor:
    """Keep where a 32-bit draw (a 64-bit one cut in two) clears the threshold: no value is read back."""
    count = shape.numel()
    words = torch.empty((count + 1) // 2, dtype=torch.int64, device=device).random_(-(2**63), 2**63 - 1)
    bits = words.view(torch.int32)[:count].view(shape)
    return bits >= -(2**31) + round(p * 2**32)


def pack_mask(mask: torch.Tensor) -> torch.Tensor:
    """A bool tensor as uint8, eight elements a byte (padded at the end)."""
    flat = mask.reshape(-1)
    padding = (-flat.numel()) % 8
    if padding:
        flat = F.pad(flat, (0, padding))
    words = flat.contiguous().view(torch.uint8).view(torch.int64)  # a bool is one byte holding 0 or 1
    return ((words * _GATHER_BITS) >> 56).to(torch.uint8)


def unpack_mask(packed: torch.Tensor, shape: torch.Size, dtype: torch.dtype) -> torch.Tensor:
    """The mask `packed` holds, as 0/1 values in `dtype`: one lookup of eight values a byte."""
    return _byte_bits(dtype, packed.device).index_select(0, packed.int()).reshape(-1)[: shape.numel()].view(shape)


@functools.cache
def _byte_bits(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Row b holds the eight bits of the byte b, lowest first, as 0/1 in `dtype`."""
    byte = torch.arange(256, device=device).unsqueeze(1)
    return ((byte >> torch.arange(8, device=device)) & 1).to(dtype)


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
        keep, packed = draw_dropout(x.shape, dropout_p, x.device, compute_dtype) if dropout_p > 0 else (None, None)
        with torch.autocast(x.device.type, enabled=False):
            low_rank = F.linear(_masked(x, keep, compute_dtype), weight_a.to(compute_dtype))
            if keep is not None:
                low_rank.mul_(1 / (1 - dropout_p))  # dropout's scale, on the [tokens x r] side
            delta = F.linear(low_rank, weight_b.to(compute_dtype)) * scaling
        ctx.dropout_p, ctx.scaling, ctx.compute_dtype = dropout_p, scaling, compute_dtype
        ctx.shape = x.shape
        ctx.save_for_backward(x, weight_a, weight_b, low_rank, packed)
        return delta

    @staticmethod
    def backward(ctx: Any, grad_delta: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight_a, weight_b, low_rank, packed = ctx.saved_tensors
        dtype, p = ctx.compute_dtype, ctx.dropout_p
        keep = None if packed is None else unpack_mask(packed, ctx.shape, dtype)
        with torch.autocast(x.device.type, enabled=False):
            grad = grad_delta.to(dtype) * ctx.scaling
            grad_b = grad.reshape(-1, grad.shape[-1]).t() @ low_rank.reshape(-1, low_rank.shape[-1])
            grad_low = grad @ weight_b.to(dtype)
            if keep is not None:
                grad_low.mul_(1 / (1 - p))
            dropped = _masked(x, keep, dtype)
            grad_a = grad_low.reshape(-1, grad_low.shape[-1]).t() @ dropped.reshape(-1, dropped.shape[-1])
            del dropped
            grad_x = None
            if ctx.needs_input_grad[0]:
                grad_x = _masked(grad_low @ weight_a.to(dtype), keep, dtype).to(x.dtype)
        return grad_x, grad_a.to(weight_a.dtype), grad_b.to(weight_b.dtype), None, None, None


def _masked(x: torch.Tensor, keep: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor:
    """x in `dtype` with the dropped elements zero (`keep` holds 0/1 in `dtype`). Dropout's 1 / (1 - p) is applied
    to the rank-wide tensors instead: the same product, without another pass over an input-sized tensor."""
    if keep is None:
        return x.to(dtype)
    return x.to(dtype) * keep


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
