"""Rules about memory: whether the run fits the target device, and which memory savers need CUDA."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext
from engine.wording import gib


@rule(
    id="memory.checkpointing_offload_needs_cuda",
    severity="error",
    message="gradient_checkpointing: {mode} offloads activations from a GPU; the target is {device}",
    why="""The `unsloth` and `offload` modes move activations from GPU memory to the CPU between the forward and
        backward passes. On a CPU there is nothing to offload from.""",
    fix="set gradient_checkpointing: true",
    fields=("gradient_checkpointing",),
    mechanical=True,
)
def offload_needs_cuda(ctx: RuleContext) -> Hit | None:
    mode = ctx.config.gradient_checkpointing
    if isinstance(mode, str) and ctx.target.device != "cuda":
        return Hit({"mode": mode, "device": ctx.target.device.upper()}, changes={"gradient_checkpointing": True})
    return None


@rule(
    id="memory.estimate_exceeds_device",
    severity="warning",
    message="estimated memory {needed} exceeds the {available} of {target}",
    why="""The estimate counts {counted}. Runs above the device's memory stop with an out-of-memory error, usually
        after the data has been prepared.""",
    fix="lower micro_batch_size or sequence_len, turn on gradient_checkpointing, or use QLoRA on a GPU",
    fields=("micro_batch_size", "sequence_len", "gradient_checkpointing", "adapter"),
    stage="preflight",
)
def estimate_exceeds_device(ctx: RuleContext) -> Hit | None:
    if ctx.facts is None:
        return None
    from engine.models.memory import memory_fit

    fit = memory_fit(ctx.config, ctx.facts, ctx.target)
    if fit.fits is not False:
        return None
    return Hit(
        {
            "needed": gib(fit.estimate.total_gib),
            "available": gib(fit.available_gib or 0.0),
            "target": ctx.target.describe(),
            "counted": fit.estimate.describe(),
        }
    )
