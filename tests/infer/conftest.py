"""Fixtures: a local tiny base model folder, and a finished tiny run (adapter + tokenizer in output_dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infer.runs import TinyRun, save_adapter, write_config
from tests.tiny import tiny_llama, tiny_tokenizer


@pytest.fixture
def tiny_base(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    tiny_llama().save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_run(tmp_path: Path, tiny_base: Path) -> TinyRun:
    """What `ft-tui train` leaves behind: the adapter and the tokenizer in output_dir."""
    output_dir = tmp_path / "outputs" / "tiny"
    save_adapter(tiny_base, output_dir)
    tiny_tokenizer().save_pretrained(output_dir)
    config_path = write_config(tmp_path / "run.yml", tiny_base, output_dir)
    return TinyRun(config_path, tiny_base, output_dir)
