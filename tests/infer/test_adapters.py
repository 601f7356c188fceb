"""Finding the adapter of a run, and the messages that say what to run when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.infer import InferError, find_adapter, latest_checkpoint
from engine.infer.adapters import check_adapter_folder


def _fake_adapter(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}", encoding="utf-8")
    return folder


def test_the_final_adapter_is_output_dir_itself(tmp_path: Path) -> None:
    _fake_adapter(tmp_path / "out")
    assert find_adapter(tmp_path / "out") == tmp_path / "out"


def test_no_adapter_says_to_train_first(tmp_path: Path) -> None:
    with pytest.raises(InferError, match=r"no adapter in .*out: run `ft-tui train my.yml` first"):
        find_adapter(tmp_path / "out", "my.yml")


def test_a_stopped_run_points_at_resume_and_its_latest_checkpoint(tmp_path: Path) -> None:
    for step in (5, 20, 10):
        _fake_adapter(tmp_path / "out" / f"checkpoint-{step}")
    (tmp_path / "out" / "checkpoint-99").mkdir()  # no adapter inside: not a usable checkpoint
    assert latest_checkpoint(tmp_path / "out") == tmp_path / "out" / "checkpoint-20"
    with pytest.raises(InferError) as caught:
        find_adapter(tmp_path / "out", "my.yml")
    assert "--resume" in str(caught.value)
    assert f"--adapter {tmp_path / 'out' / 'checkpoint-20'}" in str(caught.value)


def test_an_explicit_adapter_folder_must_hold_an_adapter(tmp_path: Path) -> None:
    with pytest.raises(InferError, match="no such folder"):
        check_adapter_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InferError, match=r"no adapter_config\.json there"):
        check_adapter_folder(tmp_path / "empty")
    assert check_adapter_folder(_fake_adapter(tmp_path / "ok")) == tmp_path / "ok"
