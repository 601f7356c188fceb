"""`trust_remote_code` reaches the model and tokenizer loaders: off, a folder's own code is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import parse_config_dict
from engine.models.errors import ModelLoadError
from engine.models.loading import load_model_and_tokenizer
from tests.tiny import tiny_llama, tiny_tokenizer

CUSTOM_CODE = """
from transformers import LlamaConfig, LlamaForCausalLM


class FtCustomConfig(LlamaConfig):
    model_type = "ftcustom"


class FtCustomForCausalLM(LlamaForCausalLM):
    config_class = FtCustomConfig
"""


@pytest.fixture(scope="module")
def model_with_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama saved as a model type transformers does not know, with its code beside it (as hub models do)."""
    folder = tmp_path_factory.mktemp("custom-model")
    tiny_llama().save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    (folder / "ftcustom_model.py").write_text(CUSTOM_CODE)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "ftcustom"
    config["architectures"] = ["FtCustomForCausalLM"]
    config["auto_map"] = {
        "AutoConfig": "ftcustom_model.FtCustomConfig",
        "AutoModelForCausalLM": "ftcustom_model.FtCustomForCausalLM",
    }
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a_folder_with_its_own_code_is_refused_by_default(model_with_code: Path) -> None:
    with pytest.raises(
        ModelLoadError, match="ships its own model code, which runs only with `trust_remote_code: true`"
    ):
        load_model_and_tokenizer(model_with_code)


def test_trust_remote_code_runs_the_folders_code(model_with_code: Path) -> None:
    loaded = load_model_and_tokenizer(model_with_code, trust_remote_code=True)
    assert type(loaded.model).__name__ == "FtCustomForCausalLM"


def test_the_config_key_reaches_the_loader(model_with_code: Path) -> None:
    from engine.train.model import build_model

    def config(trust: bool) -> object:
        return parse_config_dict({"base_model": str(model_with_code), "adapter": None, "trust_remote_code": trust})

    with pytest.raises(ModelLoadError, match="trust_remote_code"):
        build_model(config(False), model_with_code, dtype="float32", device="cpu")  # type: ignore[arg-type]
    built = build_model(config(True), model_with_code, dtype="float32", device="cpu")  # type: ignore[arg-type]
    assert type(built.model).__name__ == "FtCustomForCausalLM"
