"""Load a resolved model folder for training: chosen dtype and attention, a pad token, and no KV cache."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.models.errors import ModelLoadError

if TYPE_CHECKING:
    import torch

DTYPE_NAMES: dict[str, str] = {
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
}
"""Names users write in configs, mapped to torch dtype attribute names."""


@dataclass(frozen=True)
class LoadedModel:
    """The model, its tokenizer, and notes on what loading changed (shown to the user, not hidden)."""

    model: Any
    tokenizer: Any
    notes: tuple[str, ...] = ()


def load_model_and_tokenizer(
    folder: Path,
    *,
    dtype: torch.dtype | str = "float32",
    attn_implementation: str = "sdpa",
    device: torch.device | str = "cpu",
    trust_remote_code: bool = False,
) -> LoadedModel:
    """Load `folder` for training.

    `use_cache` is switched off: training never reuses keys and values, and packed-sample isolation relies on
    position-id masks that the KV cache path does not apply. A missing pad token becomes the eos token, which is
    safe because padded positions are masked out of attention and the loss; the returned notes say so.
    `trust_remote_code` (the config key, off by default) lets a folder that ships its own model code run it.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _require_weights(folder)
    torch_dtype = to_torch_dtype(dtype)
    with remote_code_errors(folder):
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=torch_dtype, attn_implementation=attn_implementation, trust_remote_code=trust_remote_code
        )
    model.config.use_cache = False
    notes = _ensure_pad_token(tokenizer, model)
    moved = model.to(device)  # type: ignore[arg-type]  # @wraps on PreTrainedModel.to loses the bound self
    return LoadedModel(model=moved, tokenizer=tokenizer, notes=notes)


@contextmanager
def remote_code_errors(folder: Path | str) -> Iterator[None]:
    """transformers refuses a folder's own code without trust_remote_code in a paragraph; say it in one line."""
    try:
        yield
    except ValueError as error:
        if "trust_remote_code" not in str(error):
            raise
        raise ModelLoadError(
            f"{folder} ships its own model code, which runs only with `trust_remote_code: true`; set it if you "
            "trust the model's authors (the code runs on this machine)"
        ) from error


def to_torch_dtype(dtype: torch.dtype | str) -> torch.dtype:
    """A torch dtype from a torch dtype or a name such as `bf16`, `float16`, `fp32`."""
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    name = DTYPE_NAMES.get(dtype.lower().removeprefix("torch."))
    if name is None:
        raise ModelLoadError(f"unknown dtype {dtype!r}; use one of bfloat16, float16, float32 (or bf16, fp16, fp32)")
    return getattr(torch, name)


def _require_weights(folder: Path) -> None:
    has_weights = any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))
    if not has_weights:
        raise ModelLoadError(
            f"{folder} has no model weights (*.safetensors); download the full model or point base_model at a "
            "folder that has them"
        )


def _ensure_pad_token(tokenizer: Any, model: Any) -> tuple[str, ...]:
    """Give the tokenizer and model a pad token, reusing eos when there is none; return a note when we did."""
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ModelLoadError(
                "the tokenizer has neither a pad nor an eos token; set one with `special_tokens: {pad_token: ...}`"
            )
        tokenizer.pad_token = tokenizer.eos_token
        note = f"The tokenizer had no pad token; using its eos token {tokenizer.eos_token!r} for padding."
        notes: tuple[str, ...] = (note,)
    else:
        notes = ()
    model.config.pad_token_id = tokenizer.pad_token_id
    if model.generation_config is not None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    return notes
