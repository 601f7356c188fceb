"""Which checkpoint a run resumes from: an explicit folder, the latest complete one in output_dir, or none.

Whether a folder on disk is a complete checkpoint is judged in engine/runs/checkpoints.py; this module decides
only what a run resumes from, and says so with a TrainError when it cannot.
"""

from __future__ import annotations

from pathlib import Path

from engine.config import RunConfig
from engine.runs.checkpoints import (
    SAVING_MARKER,
    CheckpointSearch,
    explicit_checkpoint_problem,
    find_checkpoints,
    is_checkpoint_path,
)
from engine.train.errors import TrainError

__all__ = ["SAVING_MARKER", "CheckpointSearch", "find_checkpoints", "find_resume_checkpoint"]


def find_resume_checkpoint(config: RunConfig, resume: bool) -> tuple[Path | None, list[str]]:
    """`resume_checkpoint`, plus a note for each newer checkpoint passed over and why."""
    explicit = config.resume_from_checkpoint
    if is_checkpoint_path(explicit):
        problem = explicit_checkpoint_problem(explicit)
        if problem is not None:
            raise TrainError(
                f"resume_from_checkpoint: {explicit} is not a checkpoint to resume from ({problem}); "
                f"point it at a checkpoint-N folder in {config.output_dir}"
            )
        return Path(explicit).expanduser(), []
    wants_latest = resume or explicit is True or (isinstance(explicit, str) and explicit.lower() == "true")
    search = find_checkpoints(config.output_dir)
    if wants_latest and search.latest is None:
        passed = "; ".join(search.notes())
        raise TrainError(
            f"nothing to resume: {config.output_dir} has no complete checkpoint-N folder"
            + (f" ({passed})" if passed else "")
            + "; run without --resume (and without resume_from_checkpoint) to start fresh"
        )
    if wants_latest or config.auto_resume_from_checkpoints:
        return search.latest, search.notes()
    return None, []
