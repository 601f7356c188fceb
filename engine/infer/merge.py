"""Merge a trained LoRA adapter into its base and save a plain model that any transformers user can load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.atomic import write_folder_atomically
from engine.infer.errors import InferError
from engine.infer.loading import LoadRequest, Progress, load_for_inference

MERGED_FOLDER = "merged"


def merged_folder(output_dir: Path | str) -> Path:
    """Where `ft-tui merge` writes: `output_dir/merged`."""
    return Path(output_dir) / MERGED_FOLDER


def merge_adapter(request: LoadRequest, progress: Progress | None = None) -> Path:
    """Write base + adapter as one safetensors model with its tokenizer to `output_dir/merged`; return it.

    With `request.dtype` None the merge happens and is saved in the base's stored dtype, so the merged model
    is as large as the base. The folder is written beside the
    final one and renamed into place, so an interrupted merge never leaves a half-written `merged`.
    """
    say = progress or (lambda _message: None)
    if not request.config.uses_lora():
        raise InferError(
            f"this config has no adapter (`adapter` is empty): training saved the full model in "
            f"{request.config.output_dir}, so there is nothing to merge"
        )
    loaded = load_for_inference(request, say)
    say("merging the adapter into the base weights")
    model = loaded.model.merge_and_unload()
    loaded.tokenizer.chat_template = loaded.chat_template
    target = merged_folder(request.config.output_dir)
    write_folder_atomically(target, lambda folder: _save(model, loaded.tokenizer, folder))
    say(f"saved the merged model to {target}")
    return target


def _save(model: Any, tokenizer: Any, folder: Path) -> None:
    folder.mkdir(parents=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
