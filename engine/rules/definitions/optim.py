"""Rules about the optimiser, the scheduler and the learning rate."""

from __future__ import annotations

from engine.config.choices import OPTIMIZERS, RENAMED_OPTIMIZERS, SCHEDULERS
from engine.rules.catalog import Hit, rule, unknown_choice
from engine.rules.context import RuleContext

BITSANDBYTES_OPTIMIZERS = tuple(name for name in OPTIMIZERS if "8bit" in name or name.startswith(("paged", "lion")))

MAX_LEARNING_RATE = 1.0
"""No optimiser ft-tui offers trains with a step larger than the weights' own scale."""


@rule(
    id="optim.unknown_optimizer",
    severity="error",
    message="optimizer: {value} is not an optimiser transformers knows",
    why="The Trainer creates the optimiser by name; an unknown name fails when training starts.",
    fix="use one of: adamw_torch_fused, adamw_torch, adafactor, sgd, adamw_bnb_8bit (CUDA){suggestion}",
    fields=("optimizer",),
    engines=("ft-tui",),
    mechanical=True,
)
def unknown_optimizer(ctx: RuleContext) -> Hit | None:
    value = ctx.config.optimizer
    return None if value in RENAMED_OPTIMIZERS else unknown_choice(value, OPTIMIZERS, "optimizer")


@rule(
    id="optim.renamed_optimizer",
    severity="auto",
    message="optimizer: {value} -> {current} (transformers 5 removed {value})",
    why="""Older axolotl configs name optimisers that transformers has since removed. {current} is the same
        algorithm under its current name, so the run uses it and the file keeps working under older axolotl.""",
    fix="set optimizer: {current} to silence this",
    fields=("optimizer",),
    mechanical=True,
)
def renamed_optimizer(ctx: RuleContext) -> Hit | None:
    value = ctx.config.optimizer
    if value not in RENAMED_OPTIMIZERS:
        return None
    current = RENAMED_OPTIMIZERS[value]
    return Hit({"value": value, "current": current}, auto_set={"optimizer": current}, changes={"optimizer": current})


@rule(
    id="optim.needs_bitsandbytes_cuda",
    severity="error",
    message="optimizer: {value} needs bitsandbytes on a CUDA GPU; the target is {target}",
    why="""8-bit and paged optimisers keep their state in bitsandbytes' GPU kernels to save memory. On a CPU, or
        without bitsandbytes, they cannot be created.""",
    fix="use optimizer: adamw_torch_fused here (it runs on CPUs too), or validate with --device cuda",
    fields=("optimizer",),
    mechanical=True,
)
def optimizer_needs_bitsandbytes(ctx: RuleContext) -> Hit | None:
    value = ctx.config.optimizer
    if value not in BITSANDBYTES_OPTIMIZERS:
        return None
    if ctx.target.device == "cuda" and ctx.target.has_bitsandbytes:
        return None
    return Hit({"value": value, "target": ctx.target.describe()}, changes={"optimizer": "adamw_torch_fused"})


@rule(
    id="optim.unknown_scheduler",
    severity="error",
    message="lr_scheduler: {value} is not a known schedule",
    why="The Trainer builds the learning-rate schedule by name; an unknown name fails when training starts.",
    fix="use one of: {known}{suggestion}",
    fields=("lr_scheduler",),
    engines=("ft-tui",),
    mechanical=True,
)
def unknown_scheduler(ctx: RuleContext) -> Hit | None:
    return unknown_choice(ctx.config.lr_scheduler, SCHEDULERS, "lr_scheduler")


@rule(
    id="optim.learning_rate_above_one",
    severity="error",
    message="learning_rate {value:g} is above {limit:g}",
    why="""The learning rate scales each update of the weights. Adam-style optimisers take steps of about the
        learning rate per weight, and weights are mostly well below 1, so a rate above 1 overwrites the model in
        the first step: the loss becomes NaN or jumps to nonsense. Useful rates are 1e-5 (full fine-tune) to
        1e-3 (small LoRA adapters); a value like 5 is usually a missing `e-4`.""",
    fix="set learning_rate to {suggested:g}",
    fields=("learning_rate",),
    mechanical=True,
)
def learning_rate_above_one(ctx: RuleContext) -> Hit | None:
    value = ctx.config.learning_rate
    if value <= MAX_LEARNING_RATE:
        return None
    suggested = 2e-4 if ctx.config.uses_lora() else 1e-5
    return Hit(
        {"value": value, "limit": MAX_LEARNING_RATE, "suggested": suggested}, changes={"learning_rate": suggested}
    )


@rule(
    id="optim.learning_rate_high",
    severity="warning",
    message="learning_rate {value:g} is high for {method} (usual: up to {limit:g})",
    why="""Too high a learning rate makes the loss jump around or explode, and the model forgets what it knew.
        LoRA tolerates about 1e-4 to 3e-4 (up to 1e-3 for tiny adapters); a full fine-tune wants about 1e-5.""",
    fix="lower learning_rate to {suggested:g}",
    fields=("learning_rate",),
    mechanical=True,
)
def learning_rate_high(ctx: RuleContext) -> Hit | None:
    uses_lora = ctx.config.uses_lora()
    limit, suggested = (1e-3, 2e-4) if uses_lora else (1e-4, 1e-5)
    if not limit < ctx.config.learning_rate <= MAX_LEARNING_RATE:
        return None  # above MAX_LEARNING_RATE it is an error (optim.learning_rate_above_one)
    method = "LoRA" if uses_lora else "a full fine-tune"
    return Hit(
        {"value": ctx.config.learning_rate, "method": method, "limit": limit, "suggested": suggested},
        changes={"learning_rate": suggested},
    )


MAX_WEIGHT_DECAY = 1.0
"""Decoupled weight decay shrinks each weight by learning_rate x weight_decay per step; above 1 it is not a decay."""


@rule(
    id="optim.weight_decay_above_one",
    severity="error",
    message="weight_decay {value:g} is above {limit:g}",
    why="""Weight decay pulls every trained weight towards zero by learning_rate x weight_decay of itself at each
        step. Useful values are 0 (common for LoRA) to 0.1; far above 1 the pull overshoots and the weights
        become NaN or infinite, so the adapter is useless even when the run reaches its last step.""",
    fix="set weight_decay to 0.0 (or up to 0.1)",
    fields=("weight_decay",),
    mechanical=True,
)
def weight_decay_above_one(ctx: RuleContext) -> Hit | None:
    value = ctx.config.weight_decay
    if value is None or value <= MAX_WEIGHT_DECAY:
        return None
    return Hit({"value": value, "limit": MAX_WEIGHT_DECAY}, changes={"weight_decay": 0.0})
