"""Rules about resuming from a checkpoint: the one the config names must be resumable."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="checkpoint.resume_path_missing",
    severity="error",
    message="resume_from_checkpoint: {path} is not a checkpoint to resume from ({problem})",
    why="Resuming reloads weights, optimiser state and the step counter from that folder; it must be a complete "
    "checkpoint (the Trainer's state file and the weights, no interrupted save).",
    fix="point it at a complete checkpoint-N folder inside output_dir, use true for the latest, or remove it",
    fields=("resume_from_checkpoint",),
)
def resume_path_missing(ctx: RuleContext) -> Hit | None:
    from engine.runs.checkpoints import explicit_checkpoint_problem, is_checkpoint_path

    path = ctx.config.resume_from_checkpoint
    if not is_checkpoint_path(path):
        return None
    problem = explicit_checkpoint_problem(path)
    return Hit({"path": path, "problem": problem}) if problem else None
