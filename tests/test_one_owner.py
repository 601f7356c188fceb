"""Each run-folder file name and user-folder variable is spelled in one module, engine/runs/paths.py; every other
module imports it from there, so renaming a file cannot leave a reader looking for the old name."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from engine.runs import paths

ROOT = Path(__file__).resolve().parents[1]
OWNER = ROOT / "engine" / "runs" / "paths.py"
NAMES = (
    paths.CONFIG_FILE,
    paths.RUN_CONFIG_FILE,
    *paths.CONFIG_COPIES,
    paths.EVENTS_FILE,
    paths.RUN_INFO_FILE,
    paths.CONSOLE_FILE,
    paths.LOG_FILE,
    paths.LOCK_FILE,
    paths.MODEL_CARD_FILE,
    paths.DATA_DIR_ENV,
    paths.CONFIG_DIR_ENV,
    paths.CACHE_DIR_ENV,
)


def _modules_spelling(name: str) -> list[Path]:
    """Modules of engine/ and tui/ with `name` in a string literal: a whole value, or a word of a message or help
    text. Docstrings (string statements) do not count: they explain, they never open a file."""
    word = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")
    found = []
    for source in sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
        if any(
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and word.search(node.value)
            for node in ast.walk(tree)
        ):
            found.append(source)
    return found


@pytest.mark.parametrize("name", sorted(set(NAMES)))
def test_each_run_folder_name_is_spelled_in_one_module(name: str) -> None:
    assert _modules_spelling(name) == [OWNER]
