"""Find the trained adapter of a run: the final one in output_dir, or say what to run to get one."""

from __future__ import annotations

from pathlib import Path

from engine.infer.errors import InferError
from engine.runs.checkpoints import checkpoint_folders

ADAPTER_CONFIG = "adapter_config.json"
"""peft writes this file beside the adapter weights; its presence is what makes a folder an adapter."""


def is_adapter_folder(folder: Path) -> bool:
    return (folder / ADAPTER_CONFIG).is_file()


def find_adapter(output_dir: Path, config_path: Path | str = "CONFIG") -> Path:
    """`output_dir` itself when training finished there; otherwise an InferError that says what to run.

    A stopped run leaves only checkpoints: those are not picked silently, because a half-trained adapter
    answers differently and the user should choose it knowingly (`--adapter`) or finish the run.
    """
    if is_adapter_folder(output_dir):
        return output_dir
    checkpoint = latest_checkpoint(output_dir)
    if checkpoint is not None:
        raise InferError(
            f"no final adapter in {output_dir} (the run stopped at {checkpoint.name}): finish it with "
            f"`ft-tui train {config_path} --resume`, or use the checkpoint with `--adapter {checkpoint}`"
        )
    raise InferError(f"no adapter in {output_dir}: run `ft-tui train {config_path}` first")


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The checkpoint folder with the highest step that holds an adapter, if any."""
    return next((child for child in reversed(checkpoint_folders(output_dir)) if is_adapter_folder(child)), None)


def check_adapter_folder(folder: Path) -> Path:
    """An adapter folder the user named with `--adapter`, or an InferError saying what is wrong with it."""
    if not folder.is_dir():
        raise InferError(f"--adapter {folder}: no such folder; point it at a folder with {ADAPTER_CONFIG}")
    if not is_adapter_folder(folder):
        raise InferError(f"--adapter {folder}: no {ADAPTER_CONFIG} there; point it at output_dir or a checkpoint-N")
    return folder
