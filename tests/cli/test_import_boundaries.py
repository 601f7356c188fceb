"""The engine never imports the UI toolkits; the fast paths never import torch or transformers."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).parents[2]
UI_MODULES = ("textual", "questionary")
HEAVY_MODULES = ("torch", "transformers", "peft", "datasets", "numpy", "gguf")


def _engine_modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(engine.__path__, prefix="engine.")
        if not info.name.endswith("__main__")
    )


def _loaded_after(statement: str, watched: tuple[str, ...]) -> list[str]:
    probe = f"import sys\n{statement}\nprint(','.join(m for m in {watched!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return [name for name in result.stdout.strip().split(",") if name]


def test_engine_has_modules_to_check() -> None:
    assert "engine.config.loader" in _engine_modules()


@pytest.mark.parametrize("module", _engine_modules())
def test_engine_module_never_imports_ui_toolkits(module: str) -> None:
    assert _loaded_after(f"import {module}", UI_MODULES) == []


def test_help_imports_no_heavy_libraries() -> None:
    statement = "from tui.cli import build_full_parser\nbuild_full_parser().format_help()"
    assert _loaded_after(statement, HEAVY_MODULES + UI_MODULES) == []


def test_validate_imports_no_heavy_libraries() -> None:
    statement = (
        "from engine.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['validate', 'presets/llama-3-8b-lora.yml', '--device', 'cuda'])"
    )
    assert _loaded_after(statement, HEAVY_MODULES) == []


def test_doctor_imports_no_heavy_libraries() -> None:
    """`ft-tui doctor` reads versions from package metadata and torch's version file, never importing them."""
    statement = (
        "from engine.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['doctor', '--json'])"
    )
    assert _loaded_after(statement, (*HEAVY_MODULES, "accelerate", "xformers", "flash_attn", "bitsandbytes")) == []
