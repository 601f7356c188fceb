"""Headless output into pipes: wrapped (never cut) to COLUMNS, quiet when the reader goes away, no library noise."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from engine.cli.output import PIPE_WIDTH, console, print_findings, quiet_libraries
from engine.rules import Finding

ROOT = Path(__file__).parents[2]
WHY = " ".join(f"word{i}" for i in range(80))
FINDING = Finding("demo.rule", "warning", "a message", WHY, "the fix " + "x" * 30, ("lora_r",))


def printed_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    print_findings(console(), [FINDING])
    return capsys.readouterr().out.splitlines()


def test_why_lines_wrap_at_columns_and_lose_no_word(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    lines = printed_lines(capsys)
    why = [line for line in lines if line.strip().startswith("why:") or line.startswith("         ")]
    assert len(why) > 5 and all(len(line) <= 60 for line in lines)
    assert all(line == line.rstrip() for line in lines)
    assert " ".join(line.strip() for line in why).removeprefix("why: ") == WHY
    assert lines[-1] == "ready to train: 0 errors, 1 warning"


def test_without_columns_a_pipe_gets_the_default_width(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    lines = printed_lines(capsys)
    assert max(len(line) for line in lines) <= PIPE_WIDTH < max(len(line) for line in lines) + 12
    monkeypatch.setenv("COLUMNS", "200")
    assert max(len(line) for line in printed_lines(capsys)) > PIPE_WIDTH


def test_a_closed_pipe_ends_the_command_without_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "c.yml"
    config.write_text("base_model: x\nlearning_rate: 0.005\n")
    command = [sys.executable, "-m", "tui.cli", "validate", "--json", str(config)]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipeError" not in errors


def test_library_future_warnings_are_silenced() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_libraries()
        warnings.warn_explicit("x will change in v6", FutureWarning, "modeling_utils.py", 1, module="transformers")
        warnings.warn("a warning of our own", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["a warning of our own"]
