"""Where ft-tui keeps the models it converts, and how a `base_model` string maps to a folder name there."""

from __future__ import annotations

from pathlib import Path

from engine.runs.paths import cache_dir


def converted_model_folder(model_id: str) -> Path:
    """The folder a hub id is converted into, e.g. `<cache>/models/HuggingFaceTB--SmolLM2-135M-Instruct`.

    `--` replaces `/` as the Hugging Face cache does, so the name stays readable and cannot collide.
    """
    return cache_dir() / "models" / model_id.replace("/", "--")


def local_folder(base_model: str) -> Path | None:
    """`base_model` as an existing local folder, or None when it names no folder on disk."""
    path = Path(base_model).expanduser()
    return path if path.is_dir() else None
