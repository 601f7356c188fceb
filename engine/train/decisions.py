"""Decisions the engine takes from a checked config that the rule catalog does not (yet) make: pure functions.

Each returns the value and the reason, so the run can log why it chose what it chose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.config import RunConfig

DEFAULT_MAX_GRAD_NORM = 1.0


@dataclass(frozen=True)
class Interval:
    """When something happens during training: transformers' strategy and step count, and why."""

    strategy: str
    steps: int | float | None
    reason: str


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


def eval_interval(config: RunConfig, steps_per_epoch: int, has_eval: bool) -> Interval:
    """axolotl's precedence: evals_per_epoch, then eval_steps, then eval_strategy; with eval data, once an epoch."""
    if not has_eval:
        return Interval("no", None, "no evaluation data")
    return _interval(
        config.evals_per_epoch, config.eval_steps, config.eval_strategy, steps_per_epoch, "evals_per_epoch", "eval"
    )


def save_interval(config: RunConfig, steps_per_epoch: int) -> Interval:
    """Same precedence for checkpoints: saves_per_epoch, save_steps, save_strategy, else once an epoch."""
    return _interval(
        config.saves_per_epoch, config.save_steps, config.save_strategy, steps_per_epoch, "saves_per_epoch", "save"
    )


def _interval(
    per_epoch: int | None,
    steps: int | float | None,
    strategy: str | None,
    steps_per_epoch: int,
    per_epoch_key: str,
    what: str,
) -> Interval:
    if per_epoch == 0:
        return Interval("no", None, f"{per_epoch_key}: 0")
    if per_epoch:
        every = max(1, math.floor(steps_per_epoch / per_epoch))
        return Interval("steps", every, f"{per_epoch_key}: {per_epoch} over {steps_per_epoch} steps an epoch")
    if steps:
        return Interval("steps", steps, f"{what}_steps: {steps:g}")
    if strategy:
        return Interval(strategy, None, f"{what}_strategy: {strategy}")
    return Interval("epoch", None, f"no {what} frequency set: once per epoch")


def logging_steps(config: RunConfig) -> int:
    return config.logging_steps or 1
