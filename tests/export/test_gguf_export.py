"""`ft-tui export --to gguf` on tiny models: what transformers' own GGUF reader loads back computes what the merged
model computes, the tokenizer travels inside the file, and each tensor gets the type llama.cpp's tools give it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main
from engine.export.architectures import interleave_rope_rows, llama3_rope_factors
from engine.export.errors import ExportError
from engine.export.quants import QUANTS
from engine.export.tokenizer import LLAMA3_SPLIT, QWEN2_SPLIT, read_vocabulary
from tests.export.gguf_files import metadata, tensors
from tests.infer.runs import TinyRun, write_config
from tests.tiny import CHATML_TEMPLATE, tiny_tokenizer

BYTE_LEVEL = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}

TEXTS = (
    "The quick brown fox jumps over the lazy dog. Hello there! How are you today?",
    "Packing puts several short samples into one row; attention must stay inside each sample.",
    "What is the capital of France? The capital of France is Paris. 0123456789",
)


def _export(config: Path, out: Path, *args: str) -> Path:
    """Export into a folder of its own: transformers reads a folder with an adapter as that adapter's base."""
    out.parent.mkdir(parents=True, exist_ok=True)
    assert main(["export", str(config), "--out", str(out), *args]) == 0
    return out


def _logits(model: object, tokenizer: object) -> torch.Tensor:
    rows = []
    for text in TEXTS:
        ids = tokenizer(text, return_tensors="pt").input_ids  # type: ignore[operator]
        with torch.no_grad():
            rows.append(model(ids).logits[0])  # type: ignore[operator]
    return torch.cat(rows)


def _peft_merged(run: TinyRun) -> Path:
    """The reference: peft's merge_and_unload saved as a model (`ft-tui merge`); the export itself streams."""
    assert main(["merge", str(run.config_path)]) == 0
    return run.output_dir / "merged"


def _gguf_and_reference(gguf: Path, reference: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits of the GGUF as transformers dequantizes it, and of the reference model, on the same token ids."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name).eval()
    model = AutoModelForCausalLM.from_pretrained(reference).eval()
    tokenizer = AutoTokenizer.from_pretrained(reference)
    return _logits(loaded, tokenizer), _logits(model, tokenizer)


def test_f16_export_computes_what_the_merged_model_computes(tiny_run: TinyRun, tmp_path: Path) -> None:
    gguf = _export(tiny_run.config_path, tmp_path / "gguf" / "tiny.gguf", "--quant", "f16")
    exported, merged = _gguf_and_reference(gguf, _peft_merged(tiny_run))
    assert (exported - merged).abs().max() < 1e-2
    base = tensors(gguf)
    assert base["token_embd.weight"][0] == "F16"


def test_q8_0_export_picks_the_same_next_token(tiny_run: TinyRun, tmp_path: Path) -> None:
    gguf = _export(tiny_run.config_path, tmp_path / "gguf" / "tiny.gguf", "--quant", "q8_0")
    exported, merged = _gguf_and_reference(gguf, _peft_merged(tiny_run))
    agreement = (exported.argmax(-1) == merged.argmax(-1)).float().mean().item()
    assert agreement >= 0.99


def test_the_tokenizer_and_template_travel_inside_the_file(tiny_run: TinyRun, tmp_path: Path) -> None:
    gguf = _export(tiny_run.config_path, tmp_path / "gguf" / "tiny.gguf", "--quant", "q8_0")
    meta = {key: value for key, (value, _types) in metadata(gguf).items()}
    tokenizer = tiny_tokenizer()
    assert meta["general.architecture"] == "llama"
    assert meta["general.type"] == "model"
    assert meta["general.file_type"] == int(QUANTS["q8_0"].file_type)
    assert meta["tokenizer.ggml.model"] == "gpt2"
    assert meta["tokenizer.ggml.pre"] == "gpt-2"
    assert meta["tokenizer.ggml.tokens"] == tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    specials = {tokenizer.convert_tokens_to_ids(token) for token in tokenizer.all_special_tokens}
    assert {i for i, kind in enumerate(meta["tokenizer.ggml.token_type"]) if kind == 3} == specials
    assert meta["tokenizer.ggml.merges"][:3] == [" ".join(pair) for pair in _merges(tiny_run.base_folder)[:3]]
    assert meta["tokenizer.ggml.bos_token_id"] == tokenizer.bos_token_id
    assert meta["tokenizer.ggml.eos_token_id"] == tokenizer.eos_token_id
    assert meta["tokenizer.ggml.padding_token_id"] == tokenizer.pad_token_id
    assert meta["tokenizer.ggml.add_bos_token"] is False
    assert meta["tokenizer.chat_template"] == CHATML_TEMPLATE
    assert meta["llama.block_count"] == 2 and meta["llama.attention.head_count_kv"] == 2


def _merges(folder: Path) -> list[list[str]]:
    merges = json.loads((folder / "tokenizer.json").read_text())["model"]["merges"]
    return [merge.split(" ") if isinstance(merge, str) else merge for merge in merges]


@pytest.mark.parametrize("quant", sorted(QUANTS))
def test_each_quant_types_its_tensors_as_llama_cpp_does(tiny_run: TinyRun, tmp_path: Path, quant: str) -> None:
    gguf = _export(tiny_run.config_path, tmp_path / "gguf" / f"{quant}.gguf", "--quant", quant)
    found = tensors(gguf)
    main_type = QUANTS[quant].tensor_type.name
    output_type = "Q8_0" if quant in ("q4_0", "q4_1", "q5_0", "q5_1") else main_type
    assert found["output.weight"][0] == output_type
    assert found["token_embd.weight"][0] == main_type
    assert found["blk.1.ffn_down.weight"][0] == main_type
    assert {kind for name, (kind, _, _) in found.items() if name.endswith("norm.weight")} == {"F32"}
    assert found["blk.0.ffn_up.weight"][1] == (32, 64)  # llama.cpp lists (columns, rows)
    assert metadata(gguf)["general.file_type"][0] == int(QUANTS[quant].file_type)


def test_base_only_writes_the_base_weights(tiny_run: TinyRun, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    gguf = _export(tiny_run.config_path, tmp_path / "gguf" / "base.gguf", "--base-only", "--quant", "f16")
    base = load_file(tiny_run.base_folder / "model.safetensors")
    found = tensors(gguf)
    expected_q = interleave_rope_rows(base["model.layers.0.self_attn.q_proj.weight"].numpy(), heads=4)
    np.testing.assert_allclose(found["blk.0.attn_q.weight"][2], expected_q, atol=1e-3)
    np.testing.assert_allclose(
        found["blk.1.ffn_gate.weight"][2], base["model.layers.1.mlp.gate_proj.weight"], atol=1e-3
    )
    assert not (tiny_run.output_dir / "merged").exists(), "--base-only merged the adapter"


def test_a_run_folder_stands_for_its_config(tiny_run: TinyRun, tmp_path: Path) -> None:
    shutil.copy(tiny_run.config_path, tiny_run.output_dir / "config.yml")
    assert main(["export", str(tiny_run.output_dir), "--quant", "q4_0"]) == 0
    assert (tiny_run.output_dir / "tiny.Q4_0.gguf").is_file()
    assert [p.name for p in tiny_run.output_dir.iterdir() if p.name.startswith(".tiny")] == []


def test_qwen2_exports_with_its_biases(tmp_path: Path) -> None:
    from transformers import Qwen2Config, Qwen2ForCausalLM

    folder = tmp_path / "qwen"
    config = Qwen2Config(
        vocab_size=384, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=True,
    )  # fmt: skip
    torch.manual_seed(0)
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tiny_tokenizer().save_pretrained(folder)
    run = write_config(tmp_path / "qwen.yml", folder, tmp_path / "out")
    gguf = _export(run, tmp_path / "gguf" / "qwen.gguf", "--base-only", "--quant", "f16")
    assert metadata(gguf)["general.architecture"][0] == "qwen2"
    assert tensors(gguf)["blk.0.attn_q.bias"][0] == "F32"
    exported, original = _gguf_and_reference(gguf, folder)
    assert (exported - original).abs().max() < 1e-2


def test_llama3_rope_scaling_travels_as_frequency_factors() -> None:
    config = {
        "hidden_size": 64, "num_attention_heads": 2, "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 8192},
    }  # fmt: skip
    factors = llama3_rope_factors(config)
    assert factors is not None and factors.shape == (16,)
    assert factors[0] == 1.0, "the fastest rotations are kept"
    assert factors[-1] == 32.0, "the slowest are stretched by the full factor"
    assert np.all(np.diff(factors) >= 0)
    assert llama3_rope_factors({"hidden_size": 64, "num_attention_heads": 2}) is None


@pytest.mark.parametrize(
    ("pre_tokenizer", "name"),
    [
        ({"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}, "gpt-2"),
        (
            {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": LLAMA3_SPLIT}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "llama-bpe",
        ),
        (
            {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "qwen2",
        ),
        (
            {"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
            "smollm",
        ),
    ],
)  # fmt: skip
def test_the_pre_tokenizer_is_named_from_the_tokenizers_description(
    tmp_path: Path, pre_tokenizer: dict[str, object], name: str
) -> None:
    tiny_tokenizer().save_pretrained(tmp_path)
    description = json.loads((tmp_path / "tokenizer.json").read_text())
    description["pre_tokenizer"] = pre_tokenizer
    (tmp_path / "tokenizer.json").write_text(json.dumps(description))
    assert read_vocabulary(tmp_path, 384).pre == name


def test_an_unknown_pre_tokenizer_is_refused(tmp_path: Path) -> None:
    tiny_tokenizer().save_pretrained(tmp_path)
    description = json.loads((tmp_path / "tokenizer.json").read_text())
    description["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [{"type": "Whitespace"}, {"type": "ByteLevel"}],
    }
    (tmp_path / "tokenizer.json").write_text(json.dumps(description))
    with pytest.raises(ExportError, match="pre_tokenizer is unknown"):
        read_vocabulary(tmp_path, 384)


def test_another_architecture_is_refused_before_any_work(
    tiny_run: TinyRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = json.loads((tiny_run.base_folder / "config.json").read_text())
    (tiny_run.base_folder / "config.json").write_text(json.dumps({**config, "architectures": ["GPT2LMHeadModel"]}))
    out = tmp_path / "gguf" / "x.gguf"
    out.parent.mkdir()
    assert main(["export", str(tiny_run.config_path), "--out", str(out)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "GGUF export does not support GPT2LMHeadModel" in err and "LlamaForCausalLM" in err
    assert not (tiny_run.output_dir / "merged").exists() and list(out.parent.iterdir()) == []


def test_ollama_gets_a_modelfile_and_the_command_to_run(
    tiny_run: TinyRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gguf" / "tiny.Q8_0.gguf"
    _export(tiny_run.config_path, out, "--ollama")
    modelfile = (out.parent / "Modelfile").read_text()
    assert modelfile.startswith("FROM ./tiny.Q8_0.gguf\n")
    assert 'TEMPLATE """{{- if .System }}<|im_start|>system' in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "SYSTEM" not in modelfile
    assert f"ollama create tiny -f {out.parent / 'Modelfile'}" in capsys.readouterr().out


def test_a_template_of_another_family_is_left_to_the_gguf(tiny_base: Path, tmp_path: Path) -> None:
    from engine.export.ollama import modelfile_for

    run = write_config(tmp_path / "r.yml", tiny_base, tmp_path / "o", "default_system_message: Be brief.\n")
    gguf = _export(run, tmp_path / "g" / "m.gguf", "--base-only", "--quant", "f16")
    plain = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    modelfile = modelfile_for(gguf, "Be brief.")
    assert modelfile.family == "ChatML"
    text = modelfile.path.read_text()
    assert 'SYSTEM """Be brief."""' in text
    from engine.export.ollama import write_modelfile

    other = write_modelfile(gguf, plain, "</s>", None)
    assert other.family is None and "TEMPLATE" not in other.path.read_text().replace("No TEMPLATE", "")
    assert 'PARAMETER stop "</s>"' in other.path.read_text()


def test_a_tokenizer_that_prepends_bos_says_so(tmp_path: Path) -> None:
    """Llama 3's tokenizer.json adds <|begin_of_text|> in its post-processor; llama.cpp must add it too."""
    tiny_tokenizer().save_pretrained(tmp_path)
    description = json.loads((tmp_path / "tokenizer.json").read_text())
    description["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [0], "tokens": ["<|endoftext|>"]}},
    }
    (tmp_path / "tokenizer.json").write_text(json.dumps(description))
    assert read_vocabulary(tmp_path, 384).add_bos is True
