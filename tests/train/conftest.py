"""Fixtures for the training tests: a tiny Llama saved as a model folder, a repeated dataset, configs from dicts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.config import RunConfig, parse_config_dict

ROOT = Path(__file__).parents[2]

ROWS = [
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, and exercise."},
    {"instruction": "What is the capital of France?", "input": "", "output": "The capital of France is Paris."},
    {"instruction": "Say hello.", "input": "", "output": "Hello there! How are you today?"},
    {"instruction": "Describe the fox.", "input": "", "output": "The quick brown fox jumps over the lazy dog."},
]


@pytest.fixture
def dataset_file(tmp_path: Path) -> Path:
    """The same four alpaca rows repeated: a model that learns them shows a falling loss within a few steps."""
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(ROWS * 12))
    return path


@pytest.fixture
def make_config(tmp_path: Path, tiny_model_dir: Path, dataset_file: Path) -> Callable[..., RunConfig]:
    """A small packed LoRA run on the tiny model (`full=True`: a full fine-tune); keyword arguments override keys."""

    def build(full: bool = False, **keys: Any) -> RunConfig:
        data: dict[str, Any] = {
            "base_model": str(tiny_model_dir),
            "datasets": [{"path": str(dataset_file), "type": "alpaca"}],
            "dataset_prepared_path": str(tmp_path / "prepared"),
            "output_dir": str(tmp_path / "run"),
            "sequence_len": 128,
            "sample_packing": True,
            "adapter": "lora",
            "lora_r": 8,
            "lora_alpha": 16,
            "lora_target_linear": True,
            "micro_batch_size": 2,
            "gradient_accumulation_steps": 1,
            "num_epochs": 1,
            "learning_rate": 1e-3,
            "optimizer": "adamw_torch",
            "lr_scheduler": "constant",
            "bf16": False,
            "seed": 7,
            **keys,
        }
        if full:
            data = {key: value for key, value in data.items() if not key.startswith("lora_")} | {"adapter": None}
        return parse_config_dict(data)

    return build


def write_config(config: RunConfig, path: Path) -> Path:
    from engine.config import save_config

    return save_config(config, path)


def engine_command(*args: str) -> list[str]:
    """`python -m engine.train ARGS`: the engine as `ft-tui train` starts it, in a process of its own."""
    return [sys.executable, "-m", "engine.train", *args]


ENGINE_GUARD_S = 300
"""Hang guard for one tiny-model engine run, not a speed claim: imports, the tiny model and a few steps take about
10 s on 2 idle cores; under a load of 4 on 2 cores about 6x that, and the guard allows 5 minutes."""


def run_engine(*args: str) -> subprocess.CompletedProcess[str]:
    """The engine run to its end from the repo root, its output captured."""
    return subprocess.run(engine_command(*args), capture_output=True, text=True, cwd=ROOT, timeout=ENGINE_GUARD_S)
