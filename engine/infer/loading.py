"""Load a run's model for inference: the base, the trained tokenizer and chat template, and the adapter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import RunConfig, apply_overrides, load_config
from engine.errors import first_line
from engine.infer.adapters import find_adapter
from engine.infer.errors import InferError

Progress = Callable[[str], None]

TOKENIZER_FILE = "tokenizer_config.json"


@dataclass(frozen=True)
class InferenceModel:
    """A model ready to generate, with the tokenizer and the chat template training rendered prompts with."""

    model: Any
    tokenizer: Any
    chat_template: str
    base_folder: Path
    adapter_dir: Path | None
    """None when chatting with the base model alone (or a full fine-tune, which has no adapter)."""


@dataclass(frozen=True)
class LoadRequest:
    """What to load: the adapter (found in output_dir unless given), or the base alone; on which device."""

    config: RunConfig
    config_path: Path | str = "CONFIG"
    with_adapter: bool = True
    adapter_dir: Path | None = None
    dtype: str | None = None
    """None: the dtype the base's weights are stored in (`stored_dtype`)."""
    device: str = "cpu"


def load_for_inference(request: LoadRequest, progress: Progress | None = None) -> InferenceModel:
    """The base (or a full fine-tune's output) with its adapter applied, in eval mode with the KV cache on."""
    say = progress or (lambda _message: None)
    config = request.config
    base_folder = resolve_base(config.base_model, say)
    adapter_dir = _adapter_to_load(request)
    model_folder = full_finetune_folder(request) or base_folder
    say(f"loading {model_folder}" + (f" with the adapter in {adapter_dir}" if adapter_dir else ""))
    model, tokenizer = _load_base(model_folder, request.dtype or stored_dtype(model_folder), request.device)
    tokenizer = _trained_tokenizer(adapter_dir) or tokenizer
    _fit_embeddings(model, tokenizer)
    if adapter_dir is not None:
        model = _apply_adapter(model, adapter_dir)
    model.eval()
    model.config.use_cache = True
    template = chat_template_for(config, tokenizer)
    return InferenceModel(model, tokenizer, template, base_folder, adapter_dir)


def load_run_config(path: Path, output_dir: Path | None = None) -> RunConfig:
    """The run's config, pointed at another output_dir when the run was trained with `--output-dir`.

    Raises the config's own ConfigFileError / ConfigError, whose messages are already user-facing.
    """
    config = load_config(path)
    return apply_overrides(config, {"output_dir": str(output_dir)}) if output_dir is not None else config


def chat_template_for(config: RunConfig, tokenizer: Any) -> str:
    """The template the data pipeline rendered training conversations with, so prompts look the same."""
    from engine.data.errors import DataError
    from engine.data.templates import resolve_chat_template

    try:
        return resolve_chat_template(config.chat_template, config.chat_template_jinja, tokenizer)
    except DataError as error:
        raise InferError(str(error)) from error


def resolve_base(base_model: str, say: Progress) -> Path:
    """The local folder of `base_model` (found, downloaded or converted), or an InferError saying why not."""
    from engine.models import ModelResolutionError, resolve_model

    try:
        return resolve_model(base_model, progress=say)
    except ModelResolutionError as error:
        raise InferError(str(error)) from error


def _adapter_to_load(request: LoadRequest) -> Path | None:
    if not request.with_adapter or not request.config.uses_lora():
        return None
    if request.adapter_dir is not None:
        from engine.infer.adapters import check_adapter_folder

        return check_adapter_folder(request.adapter_dir)
    return find_adapter(Path(request.config.output_dir), request.config_path)


def full_finetune_folder(request: LoadRequest) -> Path | None:
    """A full fine-tune saves a whole model in output_dir; that, not the base, is what to chat with."""
    if not request.with_adapter or request.config.uses_lora():
        return None
    output_dir = Path(request.config.output_dir)
    if not (output_dir / "config.json").is_file():
        raise InferError(f"no trained model in {output_dir}: run `ft-tui train {request.config_path}` first")
    return output_dir


def stored_dtype(model_folder: Path) -> str:
    """The dtype a model's weights are stored in (its config.json), float32 when it does not say."""
    from engine.models import ModelResolutionError, read_model_facts

    try:
        stored = read_model_facts(model_folder).torch_dtype
    except ModelResolutionError as error:
        raise InferError(str(error)) from error
    return str(stored).removeprefix("torch.") if stored else "float32"


def _load_base(folder: Path, dtype: str, device: str) -> tuple[Any, Any]:
    from engine.models import ModelLoadError
    from engine.models.loading import load_model_and_tokenizer

    try:
        loaded = load_model_and_tokenizer(folder, dtype=dtype, attn_implementation="sdpa", device=device)
    except ModelLoadError as error:
        raise InferError(str(error)) from error
    return loaded.model, loaded.tokenizer


def _trained_tokenizer(adapter_dir: Path | None) -> Any | None:
    """Training saves its tokenizer beside the adapter, with any `special_tokens` and `tokens` it added."""
    if adapter_dir is None or not (adapter_dir / TOKENIZER_FILE).is_file():
        return None
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(adapter_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _fit_embeddings(model: Any, tokenizer: Any) -> None:
    """Tokens added in training grew the embeddings then; grow them the same way before the adapter loads."""
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > rows:
        model.resize_token_embeddings(len(tokenizer))


def _apply_adapter(model: Any, adapter_dir: Path) -> Any:
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, adapter_dir)
    except (ValueError, RuntimeError, KeyError) as error:
        raise InferError(
            f"the adapter in {adapter_dir} does not fit the base model ({first_line(error)}); check that "
            "base_model is the model it was trained on"
        ) from error
