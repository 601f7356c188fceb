"""Fixtures for the model layer: the hub offline, and entries written into the test's Hugging Face cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import UserFolders

FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub is unreachable, so every test takes the same path whatever network the machine has (the user's
    folders and token are already hidden by the root conftest)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def hf_cache_entry(user_folders: UserFolders) -> Callable[[str, dict[str, str]], Path]:
    """Write files into the Hugging Face cache layout (models--org--name/snapshots/<commit>/), as a download would."""

    def write(model_id: str, files: dict[str, str]) -> Path:
        repo = user_folders.hf_hub_cache / f"models--{model_id.replace('/', '--')}"
        (repo / "refs").mkdir(parents=True)
        (repo / "refs" / "main").write_text(FAKE_COMMIT)
        snapshot = repo / "snapshots" / FAKE_COMMIT
        snapshot.mkdir(parents=True)
        for name, text in files.items():
            (snapshot / name).write_text(text)
        return snapshot

    return write


def write_config(folder: Path, config: dict[str, Any]) -> Path:
    """A model folder holding only config.json, which is all the facts need."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


LLAMA_CONFIG: dict[str, Any] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 160,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 300,
    "max_position_embeddings": 1024,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}
"""Llama dimensions small enough to build the real model in milliseconds."""
