"""Merging: the saved model is standalone and computes what base + adapter computes, written atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.infer import InferError, LoadRequest, generate_reply, load_for_inference, merge_adapter
from engine.infer.chat import GenerationSettings
from engine.infer.loading import InferenceModel, load_run_config
from engine.infer.merge import write_folder_atomically
from tests.infer.runs import TinyRun, write_config

PROMPT = [{"role": "user", "content": "Hello there! How are you today?"}]


def _logits(model: object, tokenizer: object) -> torch.Tensor:
    ids = tokenizer("The quick brown fox jumps over the lazy dog.", return_tensors="pt")  # type: ignore[operator]
    with torch.no_grad():
        return model(**ids).logits  # type: ignore[operator]


def test_merged_model_matches_base_plus_adapter(tiny_run: TinyRun) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    request = LoadRequest(load_run_config(tiny_run.config_path))
    folder = merge_adapter(request)
    assert folder == tiny_run.output_dir / "merged"
    assert (folder / "model.safetensors").is_file()
    assert not (folder / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    adapted = load_for_inference(request)
    assert torch.allclose(_logits(merged, tokenizer), _logits(adapted.model, adapted.tokenizer), atol=1e-5)
    base = AutoModelForCausalLM.from_pretrained(tiny_run.base_folder).eval()
    assert not torch.allclose(_logits(base, tokenizer), _logits(merged, tokenizer), atol=1e-3)

    settings = GenerationSettings(max_new_tokens=12)
    as_merged = InferenceModel(merged, tokenizer, tokenizer.chat_template, folder, None)
    assert generate_reply(as_merged, PROMPT, settings) == generate_reply(adapted, PROMPT, settings)


def test_merge_saves_in_the_base_dtype_unless_asked(tiny_run: TinyRun) -> None:
    from transformers import AutoModelForCausalLM

    config = load_run_config(tiny_run.config_path)
    merge_adapter(LoadRequest(config, dtype="bfloat16"))
    assert AutoModelForCausalLM.from_pretrained(tiny_run.output_dir / "merged").dtype == torch.bfloat16
    merge_adapter(LoadRequest(config))
    assert AutoModelForCausalLM.from_pretrained(tiny_run.output_dir / "merged").dtype == torch.float32
    leftovers = [p.name for p in tiny_run.output_dir.iterdir() if p.name.startswith(".merged")]
    assert leftovers == []


def test_merge_without_adapter_says_to_train(tmp_path: Path, tiny_base: Path) -> None:
    config = load_run_config(write_config(tmp_path / "r.yml", tiny_base, tmp_path / "out"), None)
    with pytest.raises(InferError, match=r"no adapter in .*: run `ft-tui train r\.yml` first"):
        merge_adapter(LoadRequest(config, config_path="r.yml"))


def test_a_full_finetune_has_nothing_to_merge(tmp_path: Path, tiny_base: Path) -> None:
    config = load_run_config(write_config(tmp_path / "r.yml", tiny_base, tmp_path / "out", "adapter:\n"))
    with pytest.raises(InferError, match="nothing to merge"):
        merge_adapter(LoadRequest(config))


def test_a_failed_write_keeps_the_previous_folder(tmp_path: Path) -> None:
    target = tmp_path / "merged"
    target.mkdir()
    (target / "weights").write_text("old", encoding="utf-8")

    def broken(folder: Path) -> None:
        folder.mkdir()
        (folder / "weights").write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_folder_atomically(target, broken)
    assert (target / "weights").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merged"]
