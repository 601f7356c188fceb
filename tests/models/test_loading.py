"""Loading for training: the asked dtype, no KV cache, and a pad token that is reported when we choose it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.models.errors import ModelLoadError
from engine.models.loading import load_model_and_tokenizer, to_torch_dtype
from tests.tiny import tiny_llama, tiny_tokenizer


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    """A saved tiny Llama whose tokenizer, like many base models', has no pad token."""
    tokenizer = tiny_tokenizer()
    tokenizer.pad_token = None
    tokenizer.save_pretrained(tmp_path)
    tiny_llama(vocab_size=len(tokenizer), pad_token_id=None).save_pretrained(tmp_path)
    return tmp_path


def test_loads_in_the_asked_dtype_without_kv_cache(model_folder: Path) -> None:
    loaded = load_model_and_tokenizer(model_folder, dtype="bf16", attn_implementation="eager")

    assert loaded.model.dtype == torch.bfloat16
    assert loaded.model.config.use_cache is False
    assert loaded.model.config._attn_implementation == "eager"


def test_a_missing_pad_token_becomes_eos_and_says_so(model_folder: Path) -> None:
    loaded = load_model_and_tokenizer(model_folder, dtype=torch.float32)

    assert loaded.tokenizer.pad_token == loaded.tokenizer.eos_token == "<|im_end|>"
    assert loaded.model.config.pad_token_id == loaded.tokenizer.eos_token_id
    assert loaded.notes == ("The tokenizer had no pad token; using its eos token '<|im_end|>' for padding.",)


def test_an_existing_pad_token_is_kept_without_a_note(tmp_path: Path) -> None:
    tokenizer = tiny_tokenizer()
    tokenizer.save_pretrained(tmp_path)
    tiny_llama(vocab_size=len(tokenizer)).save_pretrained(tmp_path)

    loaded = load_model_and_tokenizer(tmp_path)

    assert (loaded.tokenizer.pad_token, loaded.notes) == ("<pad>", ())


def test_a_folder_without_weights_is_a_clear_error(tmp_path: Path) -> None:
    tiny_tokenizer().save_pretrained(tmp_path)

    with pytest.raises(ModelLoadError, match=r"has no model weights \(\*.safetensors\)"):
        load_model_and_tokenizer(tmp_path)


@pytest.mark.parametrize(
    ("name", "dtype"), [("bfloat16", torch.bfloat16), ("FP16", torch.float16), ("torch.float32", torch.float32)]
)
def test_dtype_names_users_write_are_understood(name: str, dtype: torch.dtype) -> None:
    assert to_torch_dtype(name) == dtype


def test_an_unknown_dtype_name_lists_the_valid_ones() -> None:
    with pytest.raises(ModelLoadError, match="unknown dtype 'float8'; use one of bfloat16, float16, float32"):
        to_torch_dtype("float8")
