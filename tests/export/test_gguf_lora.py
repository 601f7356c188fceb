"""`ft-tui export --to gguf-lora`: the adapter alone, as llama.cpp applies it. Checked without llama.cpp by doing
its arithmetic on what we wrote: base GGUF tensor + (alpha / r) * lora_b @ lora_a must equal the merged model's
GGUF tensor, which proves the names, the shapes, the scale and the RoPE row order of q and k."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from tests.export.gguf_files import metadata, tensors
from tests.infer.runs import TinyRun, write_config


def _export(config: Path, out: Path, *args: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    assert main(["export", str(config), "--out", str(out), *args]) == 0
    return out


def test_base_plus_the_lora_file_is_the_merged_model(tiny_run: TinyRun, tmp_path: Path) -> None:
    lora = _export(tiny_run.config_path, tmp_path / "lora.gguf", "--to", "gguf-lora")
    base = tensors(_export(tiny_run.config_path, tmp_path / "base.gguf", "--base-only", "--quant", "f16"))
    merged = tensors(_export(tiny_run.config_path, tmp_path / "merged.gguf", "--quant", "f16"))
    meta = {key: value for key, (value, _types) in metadata(lora).items()}
    assert (meta["general.type"], meta["adapter.type"], meta["general.architecture"]) == ("adapter", "lora", "llama")
    assert meta["adapter.lora.alpha"] == 8.0
    found = tensors(lora)
    targets = sorted(name.removesuffix(".lora_a") for name in found if name.endswith(".lora_a"))
    assert len(targets) == 14 and all(f"{name}.lora_b" in found for name in targets)
    for name in targets:
        a, b = found[f"{name}.lora_a"][2], found[f"{name}.lora_b"][2]
        assert a.shape[0] == b.shape[1] == 4, "rank 4: A is (r, in), B is (out, r)"
        applied = base[name][2] + (8.0 / 4) * (b @ a)
        np.testing.assert_allclose(applied, merged[name][2], atol=2e-3, err_msg=name)


def test_a_lora_file_is_small_and_not_quantized_to_four_bits(
    tiny_run: TinyRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lora.gguf"
    assert main(["export", str(tiny_run.config_path), "--to", "gguf-lora", "--quant", "q4_0", "--out", str(out)]) == 2
    assert "a LoRA adapter is written in f16, bf16, q8_0" in " ".join(capsys.readouterr().err.split())
    assert not out.exists()


def test_an_untrained_run_has_no_adapter_to_export(
    tiny_base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "run.yml", tiny_base, tmp_path / "out", "adapter: lora\n")
    (tmp_path / "out").mkdir()
    assert main(["export", str(config), "--to", "gguf-lora"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"run `ft-tui train {config}` first" in err and "Traceback" not in err
    assert list((tmp_path / "out").iterdir()) == []


def test_an_adapter_with_dora_says_to_export_the_merged_model(
    tiny_run: TinyRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings_file = tiny_run.output_dir / "adapter_config.json"
    settings = json.loads(settings_file.read_text())
    settings_file.write_text(json.dumps({**settings, "use_dora": True}))
    assert main(["export", str(tiny_run.config_path), "--to", "gguf-lora", "--out", str(tmp_path / "x.gguf")]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "uses DoRA" in err and "--to gguf" in err
    assert not (tmp_path / "x.gguf").exists()
