"""No import circles in the engine: rules judge configs and never reach into the training package, and the config
writer and the round-trip editor share their serialization from below instead of importing each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported(source: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_rules_never_import_the_training_package() -> None:
    reaching = {
        source.relative_to(ROOT).as_posix(): sorted(m for m in _imported(source) if m.startswith("engine.train"))
        for source in (ROOT / "engine" / "rules").rglob("*.py")
    }
    assert {path: found for path, found in reaching.items() if found} == {}


def test_the_config_writer_and_round_trip_do_not_import_each_other() -> None:
    config = ROOT / "engine" / "config"
    assert "engine.config.writer" not in _imported(config / "roundtrip.py")
    assert "engine.config.roundtrip" in _imported(config / "writer.py")  # the one direction that remains
