"""The Done-when's export on a run `ft-tui train` really finished (a tiny model, four steps): from an empty folder,
`ft-tui export CONFIG --to gguf --quant q8_0 --ollama` writes the .gguf and the Modelfile into output_dir, merges
the trained adapter while writing, and what it writes is what peft's merge followed by an export writes. The same
command on the persona run, answering "Quill", is tests/e2e/test_persona.py (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from gguf import GGUFReader

from engine.cli import main
from engine.config import parse_config_dict
from engine.train import train
from tests.train.conftest import ROWS


@pytest.fixture
def trained_config(tmp_path: Path, tiny_model_dir: Path) -> Path:
    (tmp_path / "rows.json").write_text(json.dumps(ROWS * 12))
    settings = {
        "base_model": str(tiny_model_dir),
        "datasets": [{"path": str(tmp_path / "rows.json"), "type": "alpaca"}],
        "dataset_prepared_path": str(tmp_path / "prepared"),
        "output_dir": str(tmp_path / "run"),
        "sequence_len": 128,
        "adapter": "lora",
        "lora_r": 4,
        "lora_alpha": 8,
        "lora_target_linear": True,
        "micro_batch_size": 2,
        "learning_rate": 1e-2,
        "optimizer": "adamw_torch",
        "bf16": False,
        "seed": 7,
        "max_steps": 4,
        "val_set_size": 0,
    }
    assert train(parse_config_dict(settings)).status == "completed"
    config = tmp_path / "run.yml"
    config.write_text(yaml.safe_dump(settings))
    return config


def test_a_trained_run_exports_from_an_empty_folder_as_peft_would_merge_it(
    trained_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert main(["export", str(trained_config), "--to", "gguf", "--quant", "q8_0", "--ollama"]) == 0
    gguf = tmp_path / "run" / "run.Q8_0.gguf"
    assert (tmp_path / "run" / "Modelfile").read_text().startswith("FROM ./run.Q8_0.gguf\n")
    assert list(empty.iterdir()) == [] and not (tmp_path / "run" / "merged").exists()

    assert main(["merge", str(trained_config)]) == 0
    merged = tmp_path / "merged.yml"
    merged.write_text(f"base_model: {tmp_path / 'run' / 'merged'}\noutput_dir: {tmp_path / 'm'}\n")
    reference = tmp_path / "reference" / "run.Q8_0.gguf"
    reference.parent.mkdir()
    assert main(["export", str(merged), "--base-only", "--quant", "q8_0", "--out", str(reference)]) == 0
    ours, peft = GGUFReader(gguf).tensors, GGUFReader(reference).tensors
    assert [(t.name, t.tensor_type, bytes(t.data.tobytes())) for t in ours] == [
        (t.name, t.tensor_type, bytes(t.data.tobytes())) for t in peft
    ]
