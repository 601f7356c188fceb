"""Decisions the engine takes from a checked config that the rule catalog does not (yet) make: pure functions.

Each returns the value and the reason, so the run can log why it chose what it chose.
"""

from __future__ import annotations

from typing import Any

from engine.config import RunConfig

DEFAULT_MAX_GRAD_NORM = 1.0


def weight_dtype(config: RunConfig, device: str) -> tuple[str, str]:
    """The dtype the base weights are loaded in.

    With bf16 a frozen LoRA base is stored in bf16 (half the memory traffic: the source of the CPU speed-up) while
    the adapter stays float32 under autocast. A full fine-tune keeps float32 master weights so small updates are not
    rounded away; fp16 always keeps float32 weights because its loss scaler needs them.
    """
    if config.bf16 is True and config.uses_lora():
        return "bfloat16", "bf16 with LoRA: frozen base weights in bfloat16, adapter in float32"
    if config.bf16 is True:
        return "float32", "bf16 full fine-tune: float32 master weights, bfloat16 autocast"
    if config.fp16:
        return "float32", "fp16: float32 weights with float16 autocast and loss scaling"
    return "float32", f"no mixed precision on {device.upper()}"


def packed_attention_kernel(config: RunConfig) -> tuple[bool, str]:
    """Whether packed rows run sdpa per sample (engine.train.packed_attention) instead of under a block mask.

    The config keeps `attn_implementation: sdpa` (what axolotl understands); this is how the engine runs it.
    """
    if config.sample_packing and config.requested_attn_implementation() == "sdpa":
        return True, "sdpa per packed sample: the fused causal kernel, no block-diagonal mask to build or apply"
    return False, ""


def scheduler(config: RunConfig) -> tuple[str, dict[str, Any]]:
    """transformers' scheduler name and kwargs; axolotl's cosine_min_lr_ratio becomes cosine_with_min_lr."""
    kwargs = dict(config.lr_scheduler_kwargs or {})
    if config.lr_scheduler == "cosine" and config.cosine_min_lr_ratio:
        kwargs.setdefault("min_lr_rate", config.cosine_min_lr_ratio)
        return "cosine_with_min_lr", kwargs
    return config.lr_scheduler, kwargs


def warmup(config: RunConfig) -> float:
    """transformers 5 takes one `warmup_steps`: a whole number of steps, or a ratio of the run when below 1."""
    if config.warmup_steps is not None:
        return config.warmup_steps
    return config.warmup_ratio or 0


def max_grad_norm(config: RunConfig) -> float:
    return DEFAULT_MAX_GRAD_NORM if config.max_grad_norm is None else config.max_grad_norm


def logging_steps(config: RunConfig) -> int:
    return config.logging_steps or 1
