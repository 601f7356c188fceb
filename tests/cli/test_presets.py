"""Presets: the built-ins are documented and valid; user presets are saved safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import load_config
from engine.presets import DEFAULT_PRESET, PresetError, PresetExistsError, list_presets, load_preset, save_user_preset
from tests.conftest import UserFolders
from tui.cli import main

ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def user_config_dir(monkeypatch: pytest.MonkeyPatch, user_folders: UserFolders) -> Path:
    """From the repository root, with the test's user config folder (the root conftest's)."""
    monkeypatch.chdir(ROOT)
    return user_folders.config


def test_builtin_presets_are_listed_with_their_header_line() -> None:
    presets = {info.name: info for info in list_presets()}
    assert {DEFAULT_PRESET, "llama-3-8b-lora", "llama-3-8b-qlora", "llama-3.2-1b-lora"} <= set(presets)
    assert all(info.builtin and info.description for info in presets.values())


@pytest.mark.parametrize("info", [info for info in list_presets() if info.builtin], ids=lambda info: info.name)
def test_builtin_preset_opens_with_purpose_hardware_and_command(info) -> None:  # type: ignore[no-untyped-def]
    header = "".join(line for line in info.path.read_text().splitlines(keepends=True) if line.startswith("#"))
    assert "Purpose:" in header and "Hardware:" in header
    assert f"presets/{info.path.name}" in header or f"ft-tui train {info.name}" in header


def test_seed_recipe_packs_training_but_not_the_small_eval_split() -> None:
    config = load_preset("llama-3-8b-lora")
    assert (config.load_in_8bit, config.sample_packing, config.eval_sample_packing) == (True, True, False)


def test_save_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config = load_preset(DEFAULT_PRESET)
    path = save_user_preset("mine", config)
    assert load_config(path) == config
    with pytest.raises(PresetExistsError, match="'mine' exists") as refused:
        save_user_preset("mine", config)
    assert refused.value.path == path and "--force" in refused.value.fix
    save_user_preset("mine", config.model_copy(update={"lora_r": 32}), force=True)
    assert load_preset("mine").lora_r == 32


def test_user_preset_cannot_shadow_a_builtin() -> None:
    with pytest.raises(PresetError, match="built-in"):
        save_user_preset(DEFAULT_PRESET, load_preset(DEFAULT_PRESET))


def test_bad_names_are_refused() -> None:
    with pytest.raises(PresetError, match="letters, digits"):
        save_user_preset("../escape", load_preset(DEFAULT_PRESET))


def test_cli_save_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "save", "tiny", "--from", "presets/smollm2-135m-lora.yml"]) == 0
    assert main(["presets", "save", "tiny", "--from", "presets/smollm2-135m-lora.yml"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["presets", "list"]) == 0
    assert "tiny" in capsys.readouterr().out
    assert main(["presets", "show", "tiny"]) == 0
    assert "base_model: HuggingFaceTB/SmolLM2-135M-Instruct" in capsys.readouterr().out


def test_cli_unknown_preset_lists_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets", "show", "nope"]) == 1
    assert "known presets:" in capsys.readouterr().err


def test_a_preset_name_is_a_config_argument_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ft-tui validate smollm2-135m-lora` from an empty folder: the preset and its data are found."""
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--device", "cpu", DEFAULT_PRESET]) == 0
    out = capsys.readouterr().out
    assert "ready to train" in out and "datasets[0].path:" in out and str(tmp_path / "outputs") in out


def test_a_file_wins_over_a_preset_of_the_same_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.presets import config_path

    monkeypatch.chdir(tmp_path)
    assert config_path(DEFAULT_PRESET).name == f"{DEFAULT_PRESET}.yml"
    (tmp_path / DEFAULT_PRESET).write_text("base_model: x\n", encoding="utf-8")
    assert config_path(DEFAULT_PRESET) == Path(DEFAULT_PRESET)
    assert config_path("no-such-preset") == Path("no-such-preset")


@pytest.mark.parametrize("args", [["--preset", "llama-3-8b-lora"], ["--preset=llama-3-8b-lora"]])
def test_preset_option_opens_the_wizard_in_either_spelling(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.app

    opened: list[tuple[object, object]] = []
    monkeypatch.setattr(tui.app, "run_wizard", lambda preset, config, target=None: opened.append((preset, config)) or 0)
    assert main(args) == 0
    assert opened == [("llama-3-8b-lora", None)]


def test_a_preset_name_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(PresetError, match="may use letters"):
        save_user_preset("evil\n", load_preset(DEFAULT_PRESET))
