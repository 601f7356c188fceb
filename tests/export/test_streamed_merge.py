"""`ft-tui export` merges the adapter tensor by tensor while writing; what it writes must be what the old path
wrote: peft's `merge_and_unload` (`ft-tui merge`), saved, then exported. For a float32 base the streamed merge is
peft's own arithmetic (the same torch product, the same float32 sum), so the files are byte-identical; for a bf16
base peft rounds the merged weights to bf16 before saving and the streamed merge does not, so they differ by that
one rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from gguf import GGUFReader

from engine.cli import main
from tests.export.gguf_files import metadata, tensors
from tests.infer.runs import TinyRun, write_config
from tests.tiny import tiny_llama, tiny_tokenizer


def _lora_run(tmp_path: Path, base: Path, **lora: object) -> Path:
    """A run whose output_dir holds an adapter with random A and B (so every targeted tensor changes)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    output_dir = tmp_path / "outputs" / "run"
    torch.manual_seed(3)
    model = AutoModelForCausalLM.from_pretrained(base)
    settings = {"r": 4, "lora_alpha": 8, "target_modules": "all-linear", "init_lora_weights": False, **lora}
    get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", **settings)).save_pretrained(output_dir)
    tiny_tokenizer().save_pretrained(output_dir)
    return write_config(tmp_path / "run.yml", base, output_dir)


def _old_path(config: Path, tmp_path: Path, quant: str) -> Path:
    """peft's merge saved as a model folder (`ft-tui merge`), then that folder exported as a base."""
    assert main(["merge", str(config)]) == 0
    merged = tmp_path / "outputs" / "run" / "merged"
    merged_config = write_config(tmp_path / "merged.yml", merged, tmp_path / "merged-out")
    out = tmp_path / "old" / "run.gguf"
    out.parent.mkdir()
    assert main(["export", str(merged_config), "--base-only", "--quant", quant, "--out", str(out)]) == 0
    return out


def _streamed(config: Path, tmp_path: Path, quant: str) -> Path:
    out = tmp_path / "new" / "run.gguf"
    out.parent.mkdir()
    assert main(["export", str(config), "--quant", quant, "--out", str(out)]) == 0
    assert not (tmp_path / "outputs" / "run" / "merged").exists(), "the export materialised the merged model"
    return out


def _raw(path: Path) -> dict[str, tuple[str, bytes]]:
    return {t.name: (t.tensor_type.name, bytes(t.data.tobytes())) for t in GGUFReader(path).tensors}


@pytest.mark.parametrize(
    ("quant", "lora"),
    [("f16", {}), ("q8_0", {}), ("f16", {"use_rslora": True, "r": 8, "lora_alpha": 4})],
    ids=["f16", "q8_0", "rslora"],
)
def test_a_float32_base_streams_to_the_same_bytes_as_peft_merge_then_export(
    tiny_base: Path, tmp_path: Path, quant: str, lora: dict[str, object]
) -> None:
    config = _lora_run(tmp_path, tiny_base, **lora)
    new = _streamed(config, tmp_path, quant)
    old = _old_path(config, tmp_path, quant)
    assert _raw(new) == _raw(old)
    ours, theirs = metadata(new), metadata(old)
    assert {k: v for k, v in ours.items() if k != "general.name"} == {
        k: v for k, v in theirs.items() if k != "general.name"
    }
    base = tensors(tmp_path / "new" / "run.gguf")
    assert base["blk.0.ffn_up.weight"][2].any(), "the tensors are not empty"


def test_the_adapter_really_changes_the_written_weights(tiny_run: TinyRun, tmp_path: Path) -> None:
    merged, plain = tmp_path / "m" / "x.gguf", tmp_path / "b" / "x.gguf"
    for out, extra in ((merged, []), (plain, ["--base-only"])):
        out.parent.mkdir()
        assert main(["export", str(tiny_run.config_path), "--quant", "f16", "--out", str(out), *extra]) == 0
    ours, base = tensors(merged), tensors(plain)
    assert not np.array_equal(ours["blk.1.ffn_down.weight"][2], base["blk.1.ffn_down.weight"][2])
    np.testing.assert_array_equal(ours["output_norm.weight"][2], base["output_norm.weight"][2])


def test_a_bf16_base_differs_from_the_old_path_by_one_bf16_rounding(tmp_path: Path) -> None:
    base = tmp_path / "base"
    tiny_llama().to(torch.bfloat16).save_pretrained(base)
    tiny_tokenizer().save_pretrained(base)
    config = _lora_run(tmp_path, base)
    new, old = tensors(_streamed(config, tmp_path, "f16")), tensors(_old_path(config, tmp_path, "f16"))
    assert new.keys() == old.keys()
    for name, (_kind, _shape, values) in new.items():
        # bf16 keeps 8 significant bits: its rounding moves a value by at most 2^-8 of it (plus f16's own step)
        bound = np.abs(old[name][2]) * 2.0**-8 + np.abs(values) * 2.0**-11 + 1e-7
        assert np.all(np.abs(values - old[name][2]) <= bound), name


def test_a_dora_adapter_is_merged_by_peft_in_memory_instead(
    tiny_base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _lora_run(tmp_path, tiny_base, use_dora=True)
    out = tmp_path / "new" / "run.gguf"
    out.parent.mkdir()
    assert main(["export", str(config), "--quant", "f16", "--out", str(out)]) == 0
    assert "uses DoRA: merging it with peft in memory" in " ".join(capsys.readouterr().err.split())
    assert (tmp_path / "outputs" / "run" / "merged" / "config.json").is_file()
