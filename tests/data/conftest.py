"""Fixtures for the data tests: a tiny tokenizer, and configs built from plain dicts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.config import RunConfig, parse_config_dict
from tests.tiny import tiny_tokenizer


@pytest.fixture
def tokenizer() -> Any:
    return tiny_tokenizer()


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., RunConfig]:
    """A RunConfig with a throwaway prepared-data folder; keyword arguments are config keys."""

    def build(**keys: Any) -> RunConfig:
        data = {"base_model": "tiny", "dataset_prepared_path": str(tmp_path / "prepared"), **keys}
        return parse_config_dict(data)

    return build


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[str, list[dict[str, Any]]], str]:
    """Write rows to tmp_path/name (.json: one array, .jsonl: one object per line); returns the path."""

    def write(name: str, rows: list[dict[str, Any]]) -> str:
        path = tmp_path / name
        if name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        else:
            path.write_text(json.dumps(rows))
        return str(path)

    return write
