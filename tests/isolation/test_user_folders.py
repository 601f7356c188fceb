"""A test folder with no conftest of its own still runs against tmp user folders, never the user's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.presets import user_presets_dir
from engine.runs.paths import cache_dir, data_dir, registry_dir
from tests.conftest import UserFolders


def _real_user_folders() -> list[Path]:
    """Where ft-tui and Hugging Face would write for this user without the root conftest."""
    import platformdirs

    home = Path.home()
    return [
        Path(platformdirs.user_config_dir("ft-tui")),
        Path(platformdirs.user_data_dir("ft-tui")),
        Path(platformdirs.user_cache_dir("ft-tui")),
        home / ".cache" / "huggingface",
    ]


def test_ft_tui_folders_are_this_tests_tmp_folders(tmp_path: Path, user_folders: UserFolders) -> None:
    assert user_presets_dir().parent == user_folders.config
    assert data_dir() == user_folders.data and registry_dir().parent == user_folders.data
    assert cache_dir() == user_folders.cache
    for folder in (user_presets_dir(), registry_dir(), cache_dir()):
        assert folder.is_relative_to(tmp_path)
        assert not any(folder.is_relative_to(real) for real in _real_user_folders())


def test_hugging_face_caches_and_token_are_this_tests(tmp_path: Path) -> None:
    from huggingface_hub import constants

    for path in (constants.HF_HOME, constants.HF_HUB_CACHE, constants.HF_TOKEN_PATH):
        assert Path(path).is_relative_to(tmp_path), path
    assert "HF_TOKEN" not in os.environ


def test_a_subprocess_sees_the_same_tmp_folders(tmp_path: Path) -> None:
    """An `ft-tui` command started by a test inherits the isolation through the environment."""
    code = "from engine.runs.paths import cache_dir, data_dir; "
    code += "print(data_dir()); print(cache_dir())"
    root = Path(__file__).parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert all(Path(line).is_relative_to(tmp_path) for line in result.stdout.splitlines())


@pytest.fixture(scope="module")
def module_cache() -> Path:
    """A module fixture runs before any test's own folders exist: it must see the session's tmp folders."""
    return cache_dir()


def test_module_fixtures_see_the_sessions_tmp_folders(
    module_cache: Path, session_user_folders: UserFolders, user_folders: UserFolders
) -> None:
    assert module_cache == session_user_folders.cache
    assert module_cache != user_folders.cache
    assert not any(module_cache.is_relative_to(real) for real in _real_user_folders())
