"""Rules about batch sizes, the learning-rate schedule, evaluation and checkpoint frequency."""

from __future__ import annotations

import difflib

from engine.config.choices import OPTIMIZERS, RENAMED_OPTIMIZERS, SCHEDULERS
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext

BITSANDBYTES_OPTIMIZERS = tuple(name for name in OPTIMIZERS if "8bit" in name or name.startswith(("paged", "lion")))


def _mutually_exclusive(ctx: RuleContext, first: str, second: str) -> Hit | None:
    """Both keys given. Zero counts as not given: `evals_per_epoch: 0` next to `eval_steps` is a common way to
    switch the per-epoch form off, and means no conflict."""
    config = ctx.config
    if getattr(config, first) not in (None, 0) and getattr(config, second) not in (None, 0):
        return Hit({"first": first, "second": second})
    return None


@rule(
    id="schedule.warmup_steps_and_ratio",
    severity="error",
    message="warmup_steps and warmup_ratio are both set",
    why="""Both say how long the learning rate ramps up: one in steps, one as a fraction of the run. axolotl
        refuses the pair because only one can decide.""",
    fix="keep one: warmup_ratio (adapts to the run's length) or warmup_steps",
    fields=("warmup_steps", "warmup_ratio"),
)
def warmup_steps_and_ratio(ctx: RuleContext) -> Hit | None:
    return _mutually_exclusive(ctx, "warmup_steps", "warmup_ratio")


@rule(
    id="schedule.saves_per_epoch_and_save_steps",
    severity="error",
    message="saves_per_epoch and save_steps are both set",
    why="Both decide when checkpoints are written; axolotl refuses the pair because only one can decide.",
    fix="keep one: saves_per_epoch (adapts to the dataset size) or save_steps",
    fields=("saves_per_epoch", "save_steps"),
)
def saves_per_epoch_and_save_steps(ctx: RuleContext) -> Hit | None:
    return _mutually_exclusive(ctx, "saves_per_epoch", "save_steps")


@rule(
    id="schedule.evals_per_epoch_and_eval_steps",
    severity="error",
    message="evals_per_epoch and eval_steps are both set",
    why="Both decide when evaluation runs; axolotl refuses the pair because only one can decide.",
    fix="keep one: evals_per_epoch (adapts to the dataset size) or eval_steps",
    fields=("evals_per_epoch", "eval_steps"),
)
def evals_per_epoch_and_eval_steps(ctx: RuleContext) -> Hit | None:
    return _mutually_exclusive(ctx, "evals_per_epoch", "eval_steps")


@rule(
    id="schedule.evals_without_validation",
    severity="warning",
    message="{key} is set but there is no evaluation data (val_set_size: 0, no test_datasets)",
    why="""Evaluation measures the loss on held-out rows the model never trains on; it is how you see
        over-fitting. With no held-out rows nothing can be evaluated, so the setting does nothing.""",
    fix="set val_set_size (e.g. 0.05) to hold out 5% of the rows, or remove {key}",
    fields=("val_set_size", "evals_per_epoch", "eval_steps"),
)
def evals_without_validation(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.has_validation():
        return None
    for key in ("evals_per_epoch", "eval_steps"):
        if getattr(config, key):
            return Hit({"key": key}, fields=("val_set_size", key))
    return None


@rule(
    id="batch.inconsistent_sizes",
    severity="error",
    message="batch_size {batch_size} != micro_batch_size {micro} x gradient_accumulation_steps {accumulation}",
    why="""The effective batch is micro_batch_size x gradient_accumulation_steps x number of devices. axolotl's
        older batch_size key states it directly; when all three are given and disagree, the run would not
        use the batch you think it does.""",
    fix="remove batch_size, or set gradient_accumulation_steps: {derived}",
    fields=("batch_size", "micro_batch_size", "gradient_accumulation_steps"),
)
def inconsistent_batch_sizes(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.batch_size is None or "gradient_accumulation_steps" not in config.model_fields_set:
        return None
    product = config.micro_batch_size * config.gradient_accumulation_steps * ctx.world_size
    if config.batch_size == product:
        return None
    return Hit(
        {
            "batch_size": config.batch_size,
            "micro": config.micro_batch_size,
            "accumulation": config.gradient_accumulation_steps,
            "derived": max(1, config.batch_size // (config.micro_batch_size * ctx.world_size)),
        }
    )


@rule(
    id="schedule.max_steps_overrides_epochs",
    severity="auto",
    message="max_steps: {max_steps} decides the length of the run; num_epochs: {epochs:g} is ignored",
    why="""transformers stops at max_steps whatever the number of epochs. That is handy for short trials, but
        easy to leave in by mistake when the dataset grows.""",
    fix="remove max_steps to train for num_epochs",
    fields=("max_steps", "num_epochs"),
)
def max_steps_overrides_epochs(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.max_steps is None or "num_epochs" not in config.model_fields_set:
        return None
    return Hit({"max_steps": config.max_steps, "epochs": config.num_epochs})


@rule(
    id="optim.unknown_optimizer",
    severity="error",
    message="optimizer: {value} is not an optimiser transformers knows",
    why="The Trainer creates the optimiser by name; an unknown name fails when training starts.",
    fix="use one of: adamw_torch_fused, adamw_torch, adafactor, sgd, adamw_bnb_8bit (CUDA){suggestion}",
    fields=("optimizer",),
    engines=("ft-tui",),
)
def unknown_optimizer(ctx: RuleContext) -> Hit | None:
    value = ctx.config.optimizer
    if value in OPTIMIZERS or value in RENAMED_OPTIMIZERS:
        return None
    close = difflib.get_close_matches(value, OPTIMIZERS, n=1)
    return Hit({"value": value, "suggestion": f" (did you mean {close[0]}?)" if close else ""})


@rule(
    id="optim.renamed_optimizer",
    severity="auto",
    message="optimizer: {value} -> {current} (transformers 5 removed {value})",
    why="""Older axolotl configs name optimisers that transformers has since removed. {current} is the same
        algorithm under its current name, so the run uses it and the file keeps working under older axolotl.""",
    fix="set optimizer: {current} to silence this",
    fields=("optimizer",),
)
def renamed_optimizer(ctx: RuleContext) -> Hit | None:
    value = ctx.config.optimizer
    if value not in RENAMED_OPTIMIZERS:
        return None
    current = RENAMED_OPTIMIZERS[value]
    return Hit({"value": value, "current": current}, auto_set={"optimizer": current})


@rule(
    id="optim.needs_bitsandbytes_cuda",
    severity="error",
    message="optimizer: {value} needs bitsandbytes on a CUDA GPU; the target is {target}",
    why="""8-bit and paged optimisers keep their state in bitsandbytes' GPU kernels to save memory. On a CPU, or
        without bitsandbytes, they cannot be created.""",
    fix="use optimizer: adamw_torch_fused here (it runs on CPUs too), or validate with --device cuda",
    fields=("optimizer",),
)
def optimizer_needs_bitsandbytes(ctx: RuleContext) -> Hit | None:
    value = ctx.config.optimizer
    if value not in BITSANDBYTES_OPTIMIZERS:
        return None
    if ctx.target.device == "cuda" and ctx.target.has_bitsandbytes:
        return None
    return Hit({"value": value, "target": ctx.target.describe()})


@rule(
    id="optim.unknown_scheduler",
    severity="error",
    message="lr_scheduler: {value} is not a known schedule",
    why="The Trainer builds the learning-rate schedule by name; an unknown name fails when training starts.",
    fix="use one of: {known}{suggestion}",
    fields=("lr_scheduler",),
    engines=("ft-tui",),
)
def unknown_scheduler(ctx: RuleContext) -> Hit | None:
    value = ctx.config.lr_scheduler
    if value in SCHEDULERS:
        return None
    close = difflib.get_close_matches(value, SCHEDULERS, n=1)
    suggestion = f" (did you mean {close[0]}?)" if close else ""
    return Hit({"value": value, "known": ", ".join(SCHEDULERS), "suggestion": suggestion})


MAX_LEARNING_RATE = 1.0
"""No optimiser ft-tui offers trains with a step larger than the weights' own scale."""


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
)
def learning_rate_above_one(ctx: RuleContext) -> Hit | None:
    value = ctx.config.learning_rate
    if value <= MAX_LEARNING_RATE:
        return None
    return Hit({"value": value, "limit": MAX_LEARNING_RATE, "suggested": 2e-4 if ctx.config.uses_lora() else 1e-5})


@rule(
    id="optim.learning_rate_high",
    severity="warning",
    message="learning_rate {value:g} is high for {method} (usual: up to {limit:g})",
    why="""Too high a learning rate makes the loss jump around or explode, and the model forgets what it knew.
        LoRA tolerates about 1e-4 to 3e-4 (up to 1e-3 for tiny adapters); a full fine-tune wants about 1e-5.""",
    fix="lower learning_rate to {suggested:g}",
    fields=("learning_rate",),
)
def learning_rate_high(ctx: RuleContext) -> Hit | None:
    uses_lora = ctx.config.uses_lora()
    limit, suggested = (1e-3, 2e-4) if uses_lora else (1e-4, 1e-5)
    if not limit < ctx.config.learning_rate <= MAX_LEARNING_RATE:
        return None  # above MAX_LEARNING_RATE it is an error (optim.learning_rate_above_one)
    method = "LoRA" if uses_lora else "a full fine-tune"
    return Hit({"value": ctx.config.learning_rate, "method": method, "limit": limit, "suggested": suggested})


@rule(
    id="checkpoint.resume_path_missing",
    severity="error",
    message="resume_from_checkpoint: {path} is not a checkpoint to resume from ({problem})",
    why="Resuming reloads weights, optimiser state and the step counter from that folder; it must be a complete "
    "checkpoint (trainer_state.json and weights, no interrupted save).",
    fix="point it at a complete checkpoint-N folder inside output_dir, use true for the latest, or remove it",
    fields=("resume_from_checkpoint",),
)
def resume_path_missing(ctx: RuleContext) -> Hit | None:
    # Imported here: engine.train's errors carry rule findings, so a top-level import would be circular.
    from engine.train.checkpoints import explicit_checkpoint_problem, is_checkpoint_path

    path = ctx.config.resume_from_checkpoint
    if not is_checkpoint_path(path):
        return None
    problem = explicit_checkpoint_problem(path)
    return Hit({"path": path, "problem": problem}) if problem else None
