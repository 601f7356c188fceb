"""The wizard starts without the heavy libraries, and bad command-line input is one line, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.tui.conftest import REPO
from tui.app import run_wizard

HEAVY = ("torch", "transformers", "datasets", "peft")


def test_importing_the_app_loads_no_torch() -> None:
    """The first screen must appear in about a second: torch alone takes several."""
    code = f"import sys, tui.app; print([m for m in {HEAVY!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


def test_the_app_never_imports_questionary_and_the_engine_never_imports_textual() -> None:
    code = (
        "import sys, engine.config, engine.rules, engine.models, tui.state; "
        "assert 'textual' not in sys.modules, 'engine/state pulled in textual'; "
        "import tui.app; assert 'questionary' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_unknown_preset_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_wizard("no-such-preset", None) == 2
    err = capsys.readouterr().err
    assert "no preset named 'no-such-preset'" in err and "Traceback" not in err


def test_invalid_config_file_names_the_key_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("lora_rr: 8\n", encoding="utf-8")
    assert run_wizard(None, path) == 2
    err = capsys.readouterr().err
    assert "lora_rr" in err and "did you mean `lora_r`" in err and "Traceback" not in err
