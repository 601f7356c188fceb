"""Which checkpoint a run resumes from: an explicit folder, the latest in output_dir, or none."""

from __future__ import annotations

import re
from pathlib import Path

from engine.config import RunConfig
from engine.train.errors import TrainError

CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The checkpoint-N folder with the highest N that holds a trainer state (a finished write)."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return None
    found = []
    for child in folder.iterdir():
        match = CHECKPOINT_NAME.match(child.name)
        if match and child.is_dir() and (child / "trainer_state.json").is_file():
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None


def resume_checkpoint(config: RunConfig, resume: bool) -> Path | None:
    """`--resume` or `resume_from_checkpoint: true`: the latest (it must exist); a path: that folder;
    `auto_resume_from_checkpoints`: the latest when there is one, else a fresh start."""
    explicit = config.resume_from_checkpoint
    if isinstance(explicit, str) and explicit and explicit.lower() not in ("true", "false"):
        path = Path(explicit).expanduser()
        if not (path / "trainer_state.json").is_file():
            raise TrainError(
                f"resume_from_checkpoint: {explicit} is not a checkpoint (no trainer_state.json); "
                f"point it at a checkpoint-N folder in {config.output_dir}"
            )
        return path
    wants_latest = resume or explicit is True or (isinstance(explicit, str) and explicit.lower() == "true")
    latest = latest_checkpoint(config.output_dir)
    if wants_latest and latest is None:
        raise TrainError(
            f"nothing to resume: {config.output_dir} has no checkpoint-N folder; run without --resume "
            "(and without resume_from_checkpoint) to start fresh"
        )
    if wants_latest or config.auto_resume_from_checkpoints:
        return latest
    return None
