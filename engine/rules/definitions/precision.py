"""Rules about number formats, judged against the target hardware."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="precision.bf16_auto",
    severity="auto",
    message="bf16: auto -> {value} ({reason})",
    why="""bfloat16 halves memory traffic and, where the hardware has native support (Ampere or newer GPUs,
        CPUs with AVX512-BF16 or AMX), trains a packed LoRA about 1.8x faster than float32 with the same
        loss curve. Without native support bf16 is emulated and slower, so float32 is used instead.""",
    fix="set bf16: true or false to decide yourself",
    fields=("bf16",),
)
def bf16_auto(ctx: RuleContext) -> Hit | None:
    if ctx.config.bf16 != "auto":
        return None
    if ctx.config.fp16:
        return Hit({"value": "false", "reason": "fp16 is on"}, auto_set={"bf16": False})
    supported = ctx.target.bf16
    reason = f"{ctx.target.device.upper()} {'supports' if supported else 'lacks'} native bf16"
    return Hit({"value": str(supported).lower(), "reason": reason}, auto_set={"bf16": supported})


@rule(
    id="precision.bf16_unsupported",
    severity="error",
    message="bf16: true, but the target ({target}) has no native bfloat16",
    why="""GPUs before Ampere (V100, T4) and CPUs without AVX512-BF16/AMX cannot compute in bfloat16 natively:
        PyTorch either refuses or emulates it far slower than float32.""",
    fix="set bf16: auto (float32 here), or fp16: true on an older GPU",
    fields=("bf16",),
    mechanical=True,
)
def bf16_unsupported(ctx: RuleContext) -> Hit | None:
    if ctx.config.bf16 is True and not ctx.target.bf16:
        return Hit({"target": ctx.target.describe()}, changes={"bf16": "auto"})
    return None


@rule(
    id="precision.bf16_and_fp16",
    severity="error",
    message="bf16 and fp16 are both on",
    why="Mixed precision uses one half-precision format; the two switches contradict each other.",
    fix="keep bf16 (recent hardware) or fp16 (older GPUs), not both",
    fields=("bf16", "fp16"),
    mechanical=True,
)
def bf16_and_fp16(ctx: RuleContext) -> Hit | None:
    if ctx.config.bf16 is True and ctx.config.fp16:
        # The one the target computes natively: bf16 where it has it, else fp16.
        return Hit(changes={"fp16": None} if ctx.target.bf16 else {"bf16": False})
    return None


@rule(
    id="precision.fp16_needs_gpu",
    severity="error",
    message="fp16: true needs a GPU; the target is {device}",
    why="""float16 mixed precision relies on a GPU loss scaler; transformers refuses it on a CPU. CPUs with
        native bf16 get the speed-up from bf16 instead.""",
    fix="remove fp16 and leave bf16: auto",
    fields=("fp16",),
    mechanical=True,
)
def fp16_needs_gpu(ctx: RuleContext) -> Hit | None:
    if ctx.config.fp16 and ctx.target.device == "cpu":
        return Hit({"device": "CPU"}, changes={"fp16": None})
    return None


@rule(
    id="precision.tf32_without_cuda",
    severity="warning",
    message="tf32: true has no effect on {device}",
    why="TF32 is a matrix-maths mode of NVIDIA Ampere and newer GPUs; elsewhere the switch is ignored.",
    fix="remove tf32 or set it to false",
    fields=("tf32",),
    mechanical=True,
)
def tf32_without_cuda(ctx: RuleContext) -> Hit | None:
    if ctx.config.tf32 and ctx.target.device != "cuda":
        return Hit({"device": ctx.target.device.upper()}, changes={"tf32": False})
    return None
