"""Rules about the schedule: warm-up, epochs against max_steps, and eval and save frequency."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext

MAX_SEED = 2**32 - 1
"""NumPy's random generator, seeded with the config's seed for shuffling and splitting, takes 0 to 2**32 - 1."""


def _mutually_exclusive(ctx: RuleContext, first: str, second: str) -> Hit | None:
    """Both keys given. Zero counts as not given: `evals_per_epoch: 0` next to `eval_steps` is a common way to
    switch the per-epoch form off, and means no conflict. The fix keeps `first`, the form that adapts to the run."""
    config = ctx.config
    if getattr(config, first) not in (None, 0) and getattr(config, second) not in (None, 0):
        return Hit({"first": first, "second": second}, changes={second: None})
    return None


@rule(
    id="schedule.warmup_steps_and_ratio",
    severity="error",
    message="warmup_steps and warmup_ratio are both set",
    why="""Both say how long the learning rate ramps up: one in steps, one as a fraction of the run. axolotl
        refuses the pair because only one can decide.""",
    fix="keep one: warmup_ratio (adapts to the run's length) or warmup_steps",
    fields=("warmup_steps", "warmup_ratio"),
    mechanical=True,
)
def warmup_steps_and_ratio(ctx: RuleContext) -> Hit | None:
    return _mutually_exclusive(ctx, "warmup_ratio", "warmup_steps")


@rule(
    id="schedule.saves_per_epoch_and_save_steps",
    severity="error",
    message="saves_per_epoch and save_steps are both set",
    why="Both decide when checkpoints are written; axolotl refuses the pair because only one can decide.",
    fix="keep one: saves_per_epoch (adapts to the dataset size) or save_steps",
    fields=("saves_per_epoch", "save_steps"),
    mechanical=True,
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
    mechanical=True,
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
    mechanical=True,
)
def evals_without_validation(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.has_validation():
        return None
    for key in ("evals_per_epoch", "eval_steps"):
        if getattr(config, key):
            return Hit({"key": key}, fields=("val_set_size", key), changes={"val_set_size": 0.05})
    return None


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
    id="schedule.seed_out_of_range",
    severity="error",
    message="seed {value} is outside 0 to {limit}",
    why="""The seed starts the random generators of Python, NumPy and PyTorch, so the same seed gives the same
        run. NumPy takes only a whole number from 0 to 2**32 - 1: any other value stops the run when the data
        is shuffled.""",
    fix="set seed to a whole number from 0 to {limit}, e.g. 42",
    fields=("seed",),
    mechanical=True,
)
def seed_out_of_range(ctx: RuleContext) -> Hit | None:
    value = ctx.config.seed
    if 0 <= value <= MAX_SEED:
        return None
    return Hit({"value": value, "limit": MAX_SEED}, changes={"seed": 42})
