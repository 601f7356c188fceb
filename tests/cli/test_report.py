"""The one reporter every command uses: `error:` lines and a `fix:` line on stderr, and the error's exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli.report import report_error
from engine.config import ConfigError, ConfigFileError, ConfigProblem
from engine.errors import FtTuiError
from tui.cli import main

ROOT = Path(__file__).parents[2]


def test_an_error_is_one_line_then_its_fix_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = report_error(FtTuiError("output_dir 'x' is a file, not a folder", fix="set output_dir to a folder"))
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.splitlines() == [
        "error: output_dir 'x' is a file, not a folder",
        "  fix: set output_dir to a folder",
    ]


def test_each_config_problem_is_its_own_line_and_the_file_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    problems = [ConfigProblem("lora_rr", "unknown key", "did you mean `lora_r`?", line=2), ConfigProblem("lr", "bad")]
    assert report_error(ConfigError(problems)) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: line 2: lora_rr: unknown key (did you mean `lora_r`?)",
        "error: lr: bad",
    ]
    assert report_error(ConfigFileError("a.yml: no such file")) == 2
    assert capsys.readouterr().err == "error: a.yml: no such file\n"


def test_a_long_message_stays_one_line_and_markup_is_printed_as_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    message = "[bold]lora_rr[/bold] " + "word " * 60
    report_error(FtTuiError(message.strip()))
    assert capsys.readouterr().err == f"error: {message.strip()}\n"


def test_commands_report_through_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    """Formerly `ft-tui presets:` on one command, `error:` on the others; validate's shape errors were on stdout."""
    monkeypatch.chdir(ROOT)
    assert main(["presets", "save", "mine", "--from", "presets/smollm2-135m-lora.yml"]) == 0
    capsys.readouterr()
    assert main(["presets", "save", "mine", "--from", "presets/smollm2-135m-lora.yml"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: user preset 'mine' exists at ") and err[1:] == [
        "  fix: add --force to overwrite it"
    ]
    typo = tmp_path / "typo.yml"
    typo.write_text("lora_rr: 8\n")
    assert main(["validate", str(typo)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "error: line 1: lora_rr: unknown key (did you mean `lora_r`?)\n"
    assert main(["validate"]) == 2
    assert capsys.readouterr().err.startswith("error: no config given\n  fix: ")
