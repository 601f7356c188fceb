"""`ft-tui export --to gguf`: decide what goes into the file (the base alone, or base + adapter merged as
`ft-tui merge` does, tensor by tensor while writing), where it goes, and write it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.config import RunConfig
from engine.export.errors import ExportError, ExportUsageError
from engine.export.gguf_file import ModelSource, TensorProgress, read_model_config, write_gguf
from engine.export.merge import streaming_refusal
from engine.export.quants import Quant

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExportRequest:
    """One export: which run, which of its weights, in which quant, to which file."""

    config: RunConfig
    config_path: Path | str = "CONFIG"
    quant_name: str = "q8_0"
    adapter_dir: Path | None = None
    """Merge this adapter (a checkpoint-N) instead of the run's final one."""
    base_only: bool = False
    """Export the base model as it is, with no adapter merged."""
    out: Path | None = None


def default_output(request: ExportRequest, quant: Quant) -> Path:
    """`output_dir/<run>.<QUANT>.gguf` (llama.cpp's naming), or `<base>.<QUANT>.gguf` there for the base alone."""
    output_dir = Path(request.config.output_dir)
    return output_dir / f"{model_name(request)}.{quant.name.upper()}.gguf"


def model_name(request: ExportRequest) -> str:
    """`general.name`, what llama.cpp and Ollama show: the base's name, or the run folder's for a trained run."""
    if request.base_only:
        return Path(request.config.base_model).name
    return Path(request.config.output_dir).resolve().name


def check_output(path: Path) -> None:
    """Refuse, before any work, an output whose folder is missing, is not writable, or which is a folder itself."""
    folder = path.parent
    if path.is_dir():
        raise ExportUsageError(f"--out {path} is a folder", fix=f"name a file, e.g. --out {path / 'model.gguf'}")
    if not folder.is_dir():
        raise ExportUsageError(f"--out {path}: the folder {folder} does not exist", fix=f"create it: mkdir -p {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportUsageError(
            f"--out {path}: the folder {folder} is not writable", fix="choose a folder you can write to"
        )


def _target(request: ExportRequest, default: Path) -> Path:
    """`--out` as given (its folder must exist), or the default in output_dir (created when missing)."""
    if request.out is None:
        default.parent.mkdir(parents=True, exist_ok=True)
    check_output(request.out or default)
    return request.out or default


def export_gguf(
    request: ExportRequest, quant: Quant, progress: Progress | None = None, tensors: TensorProgress | None = None
) -> Path:
    """Write the run's model as one GGUF file; return its path. The architecture is checked before any merge."""
    from engine.infer.loading import resolve_base

    say = progress or (lambda _message: None)
    target = _target(request, default_output(request, quant))
    base_folder = resolve_base(request.config.base_model, say)
    read_model_config(base_folder)  # an unsupported architecture stops here, before any merge
    source = _model_source(request, base_folder, model_name(request), say)
    say(f"writing {target} ({quant.name})")
    return write_gguf(target, source, quant, tensors)


def _model_source(request: ExportRequest, base_folder: Path, name: str, say: Progress) -> ModelSource:
    if request.base_only:
        return ModelSource(base_folder, base_folder, _template(request.config, base_folder), name)
    if not request.config.uses_lora():
        return _full_finetune(request, name)
    from engine.infer.loading import TOKENIZER_FILE

    adapter_dir = _adapter_dir(request)
    why = streaming_refusal(adapter_dir, read_model_config(base_folder))
    if why:
        return _merged_in_memory(request, adapter_dir, why, name, say)
    tokenizer_folder = adapter_dir if (adapter_dir / TOKENIZER_FILE).is_file() else base_folder
    say(f"merging the adapter in {adapter_dir} tensor by tensor")
    return ModelSource(base_folder, tokenizer_folder, _template(request.config, tokenizer_folder), name, adapter_dir)


def _merged_in_memory(request: ExportRequest, adapter_dir: Path, why: str, name: str, say: Progress) -> ModelSource:
    """peft's merge_and_unload, saved to output_dir/merged (as `ft-tui merge`): for the adapters a streamed merge
    does not carry. It needs memory for the whole model."""
    from engine.infer import LoadRequest, merge_adapter

    say(f"the adapter {why}: merging it with peft in memory first (needs the whole model's memory)")
    merged = merge_adapter(LoadRequest(request.config, config_path=request.config_path, adapter_dir=adapter_dir), say)
    return ModelSource(merged, merged, _template(request.config, merged), name)


def _full_finetune(request: ExportRequest, name: str) -> ModelSource:
    from engine.infer import LoadRequest
    from engine.infer.loading import full_finetune_folder

    folder = full_finetune_folder(LoadRequest(request.config, config_path=request.config_path))
    assert folder is not None  # a config without an adapter always has a full fine-tune's folder
    if request.adapter_dir is not None:
        raise ExportError("--adapter: this run is a full fine-tune, it has no adapter", fix="leave --adapter out")
    return ModelSource(folder, folder, _template(request.config, folder), name)


def _template(config: RunConfig, tokenizer_folder: Path) -> str:
    """The chat template training rendered conversations with, resolved against this tokenizer."""
    from transformers import AutoTokenizer

    from engine.infer.loading import chat_template_for

    return chat_template_for(config, AutoTokenizer.from_pretrained(tokenizer_folder))


def default_lora_output(request: ExportRequest, quant: Quant) -> Path:
    """`output_dir/<run>-LoRA.<QUANT>.gguf`, beside the model's own export."""
    return Path(request.config.output_dir) / f"{model_name(request)}-LoRA.{quant.name.upper()}.gguf"


def export_lora(
    request: ExportRequest, quant: Quant, progress: Progress | None = None, tensors: TensorProgress | None = None
) -> Path:
    """Write the run's adapter alone as a llama.cpp LoRA GGUF; return its path."""
    from engine.export.lora import LoraSource, check_lora_quant, write_lora_gguf
    from engine.infer.loading import resolve_base

    say = progress or (lambda _message: None)
    check_lora_quant(quant)
    if request.base_only:
        raise ExportUsageError("--base-only has no adapter to export", fix="use --to gguf --base-only for the base")
    if not request.config.uses_lora():
        raise ExportError(
            f"this run has no adapter (`adapter` is empty: a full fine-tune saved the whole model in "
            f"{request.config.output_dir})",
            fix="export the whole model with --to gguf",
        )
    adapter_dir = _adapter_dir(request)
    target = _target(request, default_lora_output(request, quant))
    base_folder = resolve_base(request.config.base_model, say)
    say(f"writing {target} (the adapter in {adapter_dir}, {quant.name})")
    return write_lora_gguf(target, LoraSource(adapter_dir, base_folder, model_name(request)), quant, tensors)


def _adapter_dir(request: ExportRequest) -> Path:
    from engine.infer.adapters import check_adapter_folder, find_adapter

    if request.adapter_dir is not None:
        return check_adapter_folder(request.adapter_dir)
    return find_adapter(Path(request.config.output_dir), request.config_path)
