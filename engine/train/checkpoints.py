"""Which checkpoint a run resumes from: an explicit folder, the latest in output_dir, or none."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from engine.config import RunConfig
from engine.train.errors import TrainError

CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


SAVING_MARKER = ".saving"
"""Created in checkpoint-N before the Trainer writes into it and removed once everything is written: a folder
that still has it was interrupted mid-save (a second Ctrl-C, a kill, a full disk)."""

TRAINER_STATE = "trainer_state.json"
WEIGHT_FILES = (
    "adapter_model.safetensors",
    "adapter_model.bin",
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


@dataclass(frozen=True)
class CheckpointSearch:
    """The newest complete checkpoint, and the newer ones passed over with the reason."""

    latest: Path | None
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def notes(self) -> list[str]:
        return [f"skipped {path.name}: {reason}" for path, reason in self.skipped]


def checkpoint_problem(folder: Path) -> str | None:
    """Why `folder` cannot be resumed from, or None when it is a complete checkpoint."""
    if (folder / SAVING_MARKER).exists():
        return "its save was interrupted"
    state = folder / TRAINER_STATE
    if not state.is_file():
        return f"no {TRAINER_STATE} (an interrupted save)"
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{TRAINER_STATE} is truncated or not JSON"
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        return "no model weights"
    return None


def is_checkpoint_path(value: object) -> TypeGuard[str]:
    """Whether `resume_from_checkpoint` names a folder (rather than true/false/empty)."""
    return isinstance(value, str) and bool(value) and value.lower() not in ("true", "false")


def explicit_checkpoint_problem(value: str) -> str | None:
    """Why the folder named by `resume_from_checkpoint` cannot be resumed from, or None when it can.

    The one check for an explicit checkpoint: the `checkpoint.resume_path_missing` rule and the run both call it,
    so `validate` refuses exactly the folders a resume would refuse.
    """
    path = Path(value).expanduser()
    if not path.exists():
        return "it does not exist"
    if not path.is_dir():
        return "not a folder"
    return checkpoint_problem(path)


def find_checkpoints(output_dir: str | Path) -> CheckpointSearch:
    """Checkpoint-N folders newest first: the first complete one, and each newer one skipped with its reason."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return CheckpointSearch(None)
    found = sorted(
        ((int(match.group(1)), child) for child in folder.iterdir() if (match := CHECKPOINT_NAME.match(child.name))),
        reverse=True,
    )
    skipped: list[tuple[Path, str]] = []
    for _, child in found:
        problem = checkpoint_problem(child) if child.is_dir() else "not a folder"
        if problem is None:
            return CheckpointSearch(child, skipped)
        skipped.append((child, problem))
    return CheckpointSearch(None, skipped)


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The checkpoint-N folder with the highest N that is complete (see `checkpoint_problem`)."""
    return find_checkpoints(output_dir).latest


def resume_checkpoint(config: RunConfig, resume: bool) -> Path | None:
    """`--resume` or `resume_from_checkpoint: true`: the latest (it must exist); a path: that folder;
    `auto_resume_from_checkpoints`: the latest when there is one, else a fresh start."""
    return find_resume_checkpoint(config, resume)[0]


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
