"""The one rule for relative paths: inputs next to the config first, then the current folder; outputs from the
current folder. A saved config runs from anywhere; an axolotl config still runs where axolotl would run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import load_config
from engine.config.paths import input_path, shown_paths
from engine.rules import check_config
from engine.rules.target import declared_target

ROW = {"instruction": "Say hi", "input": "", "output": "hi"}


def _project(folder: Path, data_path: str = "data/rows.json") -> Path:
    (folder / Path(data_path).parent).mkdir(parents=True, exist_ok=True)
    (folder / data_path).write_text(json.dumps([ROW]), encoding="utf-8")
    config = folder / "cfg.yml"
    config.write_text(
        f"base_model: some-org/model\ndatasets:\n  - path: {data_path}\n    type: alpaca\noutput_dir: ./out\n",
        encoding="utf-8",
    )
    return config


def _missing_path_findings(config_file: Path) -> list[str]:
    findings = check_config(load_config(config_file), declared_target("cuda"))
    return [finding.rule_id for finding in findings if finding.rule_id == "data.dataset_unusable"]


def test_data_beside_the_config_is_found_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = _project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(config_file)
    assert Path(config.datasets[0].path) == (tmp_path / "project" / "data" / "rows.json").resolve()
    assert _missing_path_findings(config_file) == []


def test_outputs_stay_relative_to_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in axolotl: a preset run from an empty folder writes there, never beside the (installed) config."""
    config_file = _project(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    config = load_config(config_file)
    assert config.output_dir == "./out"
    assert dict(shown_paths(config))["output_dir"] == tmp_path / "out"


def test_an_axolotl_config_relying_on_the_current_folder_still_runs_from_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """axolotl reads `path:` from the folder it runs in; the config itself may live in a sub-folder."""
    _project(tmp_path)  # data/rows.json in the project root
    examples = tmp_path / "examples"
    examples.mkdir()
    config_file = examples / "cfg.yml"
    config_file.write_text((tmp_path / "cfg.yml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config(config_file)
    assert config.datasets[0].path == "data/rows.json"  # the user's text, unchanged: it already means this
    assert input_path(config.datasets[0].path, None) == tmp_path / "data" / "rows.json"
    assert _missing_path_findings(config_file) == []


def test_beside_the_config_wins_over_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = _project(tmp_path / "project")
    _project(tmp_path / "cwd")
    monkeypatch.chdir(tmp_path / "cwd")
    assert Path(load_config(config_file).datasets[0].path) == (tmp_path / "project" / "data" / "rows.json").resolve()


def test_inside_the_current_folder_the_path_reads_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short, and the same on every machine (the wizard shows it, its snapshots record it)."""
    config_file = _project(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    assert load_config(config_file).datasets[0].path == "project/data/rows.json"


def test_a_path_found_nowhere_is_reported_and_kept_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = _project(tmp_path / "project")
    (tmp_path / "project" / "data" / "rows.json").unlink()
    monkeypatch.chdir(tmp_path)
    assert load_config(config_file).datasets[0].path == "data/rows.json"
    assert _missing_path_findings(config_file) == ["data.dataset_unusable"]


def test_hub_ids_and_absolute_paths_pass_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = tmp_path / "abs.json"
    absolute.write_text(json.dumps([ROW]), encoding="utf-8")
    config_file = tmp_path / "cfg.yml"
    config_file.write_text(
        "base_model: some-org/model\ndatasets:\n"
        f"  - path: {absolute}\n    type: alpaca\n  - path: tatsu-lab/alpaca\n    type: alpaca\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(config_file)
    assert [entry.path for entry in config.datasets] == [str(absolute), "tatsu-lab/alpaca"]
    assert config.base_model == "some-org/model"


def test_a_local_model_folder_beside_the_config_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_file = _project(tmp_path / "project")
    (tmp_path / "project" / "my-model").mkdir()
    text = config_file.read_text(encoding="utf-8").replace("some-org/model", "./my-model")
    config_file.write_text(text + "resume_from_checkpoint: ckpt\n", encoding="utf-8")
    (tmp_path / "project" / "ckpt").mkdir()
    monkeypatch.chdir(tmp_path)
    config = load_config(config_file)
    assert config.base_model == "project/my-model"
    assert config.resume_from_checkpoint == "project/ckpt"
