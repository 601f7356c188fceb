"""`ft-tui train CONFIG --detach`: the run starts in the background and the command says where to watch it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.runs import read_launch
from engine.runs.launch import ENGINE_COMMAND_ENV
from engine.runs.process import is_alive, send_stop
from tui.cli import main

ROOT = Path(__file__).parents[2]
FAKE_ENGINE = ROOT / "tests" / "monitor" / "fake_engine.py"
EVENTS = ROOT / "tests" / "fixtures" / "events" / "complete.jsonl"


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_COMMAND_ENV, f"{sys.executable} {FAKE_ENGINE}")
    monkeypatch.setenv("FAKE_ENGINE_STREAM", str(EVENTS))
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0.01")
    monkeypatch.chdir(ROOT)


def test_detach_starts_the_run_and_prints_its_folder(
    tmp_path: Path, fake_engine: None, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = tmp_path / "run"
    code = main(["train", "presets/smollm2-135m-lora.yml", "--detach", "--output-dir", str(run_dir)])
    try:
        assert code == 0
        out = capsys.readouterr().out
        assert f"ft-tui monitor {run_dir}" in out
        launch = read_launch(run_dir)
        assert launch is not None
        assert (run_dir / "run_config.yml").exists()
    finally:
        launch = read_launch(run_dir)
        if launch is not None and launch.pid and is_alive(launch.pid, launch.pid_token):
            send_stop(launch.pid)


def test_detach_refuses_a_bad_override_in_one_line(fake_engine: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "presets/smollm2-135m-lora.yml", "--detach", "--lora-rr", "8"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: lora_rr: unknown key (did you mean `lora_r`?)"
