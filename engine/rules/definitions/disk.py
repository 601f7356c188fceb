"""Rules about the disk a run writes to, checked before training starts (preflight)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config.intervals import save_interval
from engine.config.paths import output_dir_problem
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext

if TYPE_CHECKING:
    from engine.config import RunConfig
    from engine.models.facts import ModelFacts


@rule(
    id="disk.output_dir_not_a_folder",
    severity="error",
    message="output_dir '{path}' {problem}",
    why="""The run writes its checkpoints, events and result into output_dir, which it creates as a folder; a file
        of that name (or on the way to it) cannot hold them, and the run would stop before its first step.""",
    fix="set output_dir to a folder (a new name is created when the run starts)",
    fields=("output_dir",),
)
def output_dir_not_a_folder(ctx: RuleContext) -> Hit | None:
    problem = output_dir_problem(ctx.config.output_dir)
    return Hit({"path": ctx.config.output_dir, "problem": problem}) if problem else None


@rule(
    id="disk.not_enough_space",
    severity="error",
    message="{folder} has {free_gib:.1f} GiB free, but this run's checkpoints and result need about {need_gib:.1f} GiB",
    why="""Each checkpoint holds the trained weights and, unless save_only_model is set, the optimiser's two moments
        per trained weight ({checkpoint_gib:.2f} GiB here); {kept} of them are kept on disk at once. A disk that fills
        mid-run stops it at a save, hours in.""",
    fix="free some space, set save_total_limit (keeps only the newest checkpoints) or save_only_model: true, or "
    "point output_dir at a bigger disk",
    fields=("output_dir", "save_total_limit", "save_only_model"),
    stage="preflight",
)
def not_enough_space(ctx: RuleContext) -> Hit | None:
    if ctx.facts is None or ctx.data is None or not ctx.facts.parameter_count:
        return None
    checkpoint, final = _checkpoint_bytes(ctx.config, ctx.facts)
    kept = _checkpoints_kept(ctx)
    need = kept * checkpoint + final
    folder = _existing_folder(Path(ctx.config.output_dir))
    free = shutil.disk_usage(folder).free
    if free >= need:
        return None
    return Hit(
        {
            "folder": str(folder),
            "free_gib": free / 2**30,
            "need_gib": need / 2**30,
            "checkpoint_gib": checkpoint / 2**30,
            "kept": kept,
        }
    )


def _checkpoint_bytes(config: RunConfig, facts: ModelFacts) -> tuple[int, int]:
    """(one checkpoint, the final weights): the trained weights are what the memory estimate calls gradients."""
    from engine.models.memory import trained_state_estimate

    estimate = trained_state_estimate(config, facts)
    weights = estimate.gradients_bytes
    optimizer = 0 if config.save_only_model else estimate.optimizer_bytes
    return weights + optimizer, weights


def _checkpoints_kept(ctx: RuleContext) -> int:
    """Saves over the run (the engine's own save interval), capped by save_total_limit."""
    data = ctx.data
    assert data is not None
    total, per_epoch = max(1, data.total_steps), max(1, data.steps_per_epoch)
    interval = save_interval(ctx.config, per_epoch)
    if interval.strategy == "no":
        saves = 0
    elif interval.strategy == "steps" and interval.steps:
        every = interval.steps if interval.steps >= 1 else math.ceil(interval.steps * total)
        saves = max(1, total // max(1, int(every)))
    else:
        saves = max(1, math.ceil(total / per_epoch))
    limit = ctx.config.save_total_limit
    return min(saves, limit) if limit else saves


def _existing_folder(path: Path) -> Path:
    """output_dir itself, or the nearest folder above it that exists (where it will be created)."""
    current = path.expanduser().absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current
