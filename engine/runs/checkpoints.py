"""Whether a checkpoint folder on disk can be resumed from: the one judge, read by the engine, the rules and the TUI.

It imports nothing from the training package, so the rule catalog (which judges configs) and the run-folder owner
can ask it without loading torch or reaching into engine/train. A checkpoint counts only when every file a resume
loads is whole: a kill or a full disk during a save leaves a folder that looks complete by its names alone.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")
"""The Trainer's checkpoint folders, `checkpoint-<global step>`."""

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
TORCH_FILES = ("optimizer.pt", "scheduler.pt", "adapter_model.bin", "pytorch_model.bin")
"""Files torch.save wrote (a zip archive since torch 1.6): a cut one has lost its central directory, at the end."""
SAFETENSORS_HEADER_BYTES = 8


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
    return _torn_file(folder)


def _torn_file(folder: Path) -> str | None:
    """`<name> is truncated` for the first weights or optimizer file that is cut short, else None."""
    for path in sorted(folder.glob("*.safetensors")):
        if not _whole_safetensors(path):
            return f"{path.name} is truncated"
    for name in TORCH_FILES:
        path = folder / name
        if path.is_file() and not _whole_zip(path):
            return f"{name} is truncated"
    return None


def _whole_safetensors(path: Path) -> bool:
    """A safetensors file is an 8-byte header length, a JSON header, then the tensors the header places: whole when
    the file is at least as long as the header says."""
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, 2)
            stream.seek(0)
            (header_length,) = struct.unpack("<Q", stream.read(SAFETENSORS_HEADER_BYTES))
            if header_length > size - SAFETENSORS_HEADER_BYTES:
                return False
            header = json.loads(stream.read(header_length))
    except (OSError, ValueError, struct.error):
        return False
    ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
    return SAFETENSORS_HEADER_BYTES + header_length + max(ends, default=0) <= size


def _whole_zip(path: Path) -> bool:
    """torch.save's archive: whole when its central directory reads and every member fits in the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            size = path.stat().st_size
            return all(info.header_offset + info.compress_size <= size for info in archive.infolist())
    except (OSError, zipfile.BadZipFile):
        return False


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


def checkpoint_step(folder: Path) -> int:
    """The global step in a checkpoint folder's name (`checkpoint-120`: 120); 0 for another name."""
    match = CHECKPOINT_NAME.match(folder.name)
    return int(match.group(1)) if match else 0


def checkpoint_folders(output_dir: str | Path) -> list[Path]:
    """Every checkpoint-N folder in `output_dir` on disk, oldest (lowest N) first, complete or not."""
    folder = Path(output_dir)
    if not folder.is_dir():
        return []
    found = [(int(match.group(1)), child) for child in folder.iterdir() if (match := CHECKPOINT_NAME.match(child.name))]
    return [child for _, child in sorted(found)]


def find_checkpoints(output_dir: str | Path) -> CheckpointSearch:
    """Checkpoint-N folders newest first: the first complete one, and each newer one skipped with its reason."""
    skipped: list[tuple[Path, str]] = []
    for child in reversed(checkpoint_folders(output_dir)):
        problem = checkpoint_problem(child) if child.is_dir() else "not a folder"
        if problem is None:
            return CheckpointSearch(child, skipped)
        skipped.append((child, problem))
    return CheckpointSearch(None, skipped)
