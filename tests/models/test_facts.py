"""Facts read from config.json must match the real transformers models and peft's LoRA counts exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.models.errors import ModelResolutionError, UnknownTargetModuleError, UnsupportedArchitectureError
from engine.models.facts import FAMILIES, find_model_facts, lora_trainable_params, read_model_facts
from tests.conftest import UserFolders
from tests.models.conftest import LLAMA_CONFIG, write_config

TINY_DIMS: dict[str, Any] = {
    "hidden_size": 64,
    "intermediate_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 128,
    "pad_token_id": 0,
    "bos_token_id": 1,
    "eos_token_id": 2,
}

VARIANTS: list[tuple[str, dict[str, Any]]] = [(model_type, {}) for model_type in FAMILIES] + [
    ("llama", {"attention_bias": True, "mlp_bias": True, "tie_word_embeddings": False}),
    ("qwen2", {"tie_word_embeddings": False}),
    ("gemma", {"head_dim": 32}),
    ("qwen3", {"head_dim": 24, "attention_bias": True}),
]
"""Every supported family, plus the options that change the count: biases, untied heads, explicit head_dim."""


def _saved_real_model(model_type: str, overrides: dict[str, Any], folder: Path) -> Any:
    """Build the real transformers model for a tiny config and save that config.json, as a download would have."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(model_type, **{**TINY_DIMS, **overrides})
    config.save_pretrained(folder)
    return AutoModelForCausalLM.from_config(config)


def test_handwritten_llama_config_counts_every_parameter(tmp_path: Path) -> None:
    from transformers import LlamaConfig, LlamaForCausalLM

    facts = read_model_facts(write_config(tmp_path, LLAMA_CONFIG))
    model = LlamaForCausalLM(LlamaConfig(**LLAMA_CONFIG))

    assert facts.parameter_count == sum(p.numel() for p in model.parameters())
    assert (facts.architecture, facts.model_type, facts.torch_dtype) == ("LlamaForCausalLM", "llama", "bfloat16")
    assert (facts.context_length, facts.hidden_size, facts.num_layers, facts.vocab_size) == (1024, 64, 3, 300)
    assert facts.linear_module_names == ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    assert not facts.has_chat_template


@pytest.mark.parametrize(("model_type", "overrides"), VARIANTS, ids=lambda v: str(v))
def test_parameter_count_and_linear_shapes_match_transformers(
    model_type: str, overrides: dict[str, Any], tmp_path: Path
) -> None:
    import torch

    model = _saved_real_model(model_type, overrides, tmp_path)
    facts = read_model_facts(tmp_path)

    assert facts.parameter_count == sum(p.numel() for p in model.parameters())
    block = model.model.layers[0]
    real = {name.rsplit(".", 1)[-1]: m for name, m in block.named_modules() if isinstance(m, torch.nn.Linear)}
    assert set(real) == set(facts.linear_module_names)
    for layer in facts.linear_layers:
        module = real[layer.name]
        assert (module.in_features, module.out_features, module.bias is not None) == (
            layer.in_features,
            layer.out_features,
            layer.bias,
        )


@pytest.mark.parametrize("model_type", list(FAMILIES))
@pytest.mark.parametrize("targets", ["all-linear", ["o_proj", "down_proj"], ["down_proj", "lm_head"]])
def test_lora_count_matches_peft(model_type: str, targets: Any, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    model = _saved_real_model(model_type, {}, tmp_path)
    peft_model = get_peft_model(model, LoraConfig(r=4, target_modules=targets))
    expected = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)

    assert lora_trainable_params(read_model_facts(tmp_path), 4, targets) == expected


def test_unknown_lora_target_names_the_valid_ones(tmp_path: Path) -> None:
    facts = read_model_facts(write_config(tmp_path, LLAMA_CONFIG))

    with pytest.raises(UnknownTargetModuleError, match=r"'qkv_proj' is not a linear layer of llama models.*q_proj"):
        lora_trainable_params(facts, 8, ["q_proj", "qkv_proj"])


def test_unsupported_model_type_has_no_counts(tmp_path: Path) -> None:
    facts = read_model_facts(write_config(tmp_path, {"model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024}))

    assert (facts.parameter_count, facts.linear_layers, facts.vocab_size) == (None, (), 50257)
    with pytest.raises(UnsupportedArchitectureError, match="no layer table for model_type 'gpt2'"):
        lora_trainable_params(facts, 8, "all-linear")


@pytest.mark.parametrize(
    ("name", "text"),
    [("tokenizer_config.json", '{"chat_template": "{{ messages }}"}'), ("chat_template.jinja", "{{ messages }}")],
)
def test_chat_template_is_found_in_either_place(name: str, text: str, tmp_path: Path) -> None:
    folder = write_config(tmp_path, LLAMA_CONFIG)
    (folder / name).write_text(text)

    assert read_model_facts(folder).has_chat_template


def test_find_model_facts_reads_a_local_folder(tmp_path: Path) -> None:
    facts = find_model_facts(str(write_config(tmp_path / "my-model", LLAMA_CONFIG)))

    assert facts is not None and facts.num_layers == 3


def test_find_model_facts_reads_the_hugging_face_cache(hf_cache_entry: Any) -> None:
    hf_cache_entry("some-org/cached-model", {"config.json": json.dumps({**LLAMA_CONFIG, "hidden_size": 128})})

    facts = find_model_facts("some-org/cached-model")

    assert facts is not None and facts.hidden_size == 128


def test_incomplete_config_gives_no_counts_rather_than_guesses(tmp_path: Path) -> None:
    facts = read_model_facts(write_config(tmp_path, {"model_type": "llama", "hidden_size": 4096}))

    assert (facts.hidden_size, facts.parameter_count, facts.linear_layers) == (4096, None, ())


def test_broken_config_json_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")

    with pytest.raises(ModelResolutionError, match=r"config.json cannot be read as JSON .*download the model again"):
        read_model_facts(tmp_path)


def test_find_model_facts_reads_the_converted_cache(user_folders: UserFolders) -> None:
    write_config(user_folders.cache / "models" / "some-org--converted", LLAMA_CONFIG)

    facts = find_model_facts("some-org/converted")

    assert facts is not None and facts.vocab_size == 300


@pytest.mark.parametrize("base_model", ["some-org/not-downloaded", "./no/such/folder", "not a valid id!"])
def test_find_model_facts_is_none_when_nothing_is_on_disk(base_model: str) -> None:
    assert find_model_facts(base_model) is None


def test_facts_never_import_torch_or_transformers(tmp_path: Path) -> None:
    """The config checks call these on every keystroke; importing torch would cost seconds."""
    write_config(tmp_path, LLAMA_CONFIG)
    script = (
        "import sys; from engine.models.facts import find_model_facts, estimate_memory\n"
        f"facts = find_model_facts({str(tmp_path)!r}); estimate_memory(facts, 'lora', 1, 512, 2, True)\n"
        "find_model_facts('some-org/not-downloaded')\n"
        "print(sorted(m for m in ('torch', 'transformers', 'textual', 'questionary') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
