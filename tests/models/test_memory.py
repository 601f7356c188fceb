"""The memory estimate follows the formula its docstring documents, term by term."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.models.facts import ModelFacts, estimate_memory, lora_trainable_params, read_model_facts
from tests.models.conftest import LLAMA_CONFIG, write_config


@pytest.fixture
def facts(tmp_path: Path) -> ModelFacts:
    return read_model_facts(write_config(tmp_path, LLAMA_CONFIG))


def test_full_fine_tune_pays_for_every_weight(facts: ModelFacts) -> None:
    params = int(facts.parameter_count or 0)

    estimate = estimate_memory(facts, "full", 2, 128, 2, gradient_checkpointing=False)

    assert estimate.trainable_parameters == params
    assert (estimate.weights_bytes, estimate.gradients_bytes, estimate.optimizer_bytes) == (
        2 * params,
        2 * params,
        4 * params,
    )


def test_lora_pays_fp32_for_adapters_only(facts: ModelFacts) -> None:
    params = int(facts.parameter_count or 0)
    adapters = lora_trainable_params(facts, 16, ["q_proj", "v_proj"])

    estimate = estimate_memory(facts, "lora", 2, 128, 2, False, lora_r=16, lora_target_modules=["q_proj", "v_proj"])

    assert estimate.trainable_parameters == adapters
    assert (estimate.weights_bytes, estimate.gradients_bytes, estimate.optimizer_bytes) == (
        2 * params + 4 * adapters,
        4 * adapters,
        8 * adapters,
    )


def test_activations_follow_the_documented_formula(facts: ModelFacts) -> None:
    # H=64, I=160, Q=4x16=64, K=2x16=32: a = 4H + 2Q + 2K + 4I = 1088 values per token and block; L=3, V=300.
    tokens, per_block, dtype_bytes = 2 * 128, 1088, 2
    logits = tokens * 300 * (dtype_bytes + 8)

    plain = estimate_memory(facts, "lora", 2, 128, dtype_bytes, gradient_checkpointing=False)
    checkpointed = estimate_memory(facts, "lora", 2, 128, dtype_bytes, gradient_checkpointing=True)

    assert plain.activations_bytes == tokens * 3 * per_block * dtype_bytes + logits
    assert checkpointed.activations_bytes == tokens * (3 * 64 + per_block) * dtype_bytes + logits


def test_qlora_shrinks_only_the_frozen_weights(facts: ModelFacts) -> None:
    lora = estimate_memory(facts, "lora", 1, 256, 2, True)
    qlora = estimate_memory(facts, "qlora", 1, 256, 2, True)

    assert qlora.weights_bytes < lora.weights_bytes
    assert (qlora.gradients_bytes, qlora.optimizer_bytes, qlora.activations_bytes) == (
        lora.gradients_bytes,
        lora.optimizer_bytes,
        lora.activations_bytes,
    )
    assert qlora.total_bytes == qlora.weights_bytes + qlora.gradients_bytes + qlora.optimizer_bytes + (
        qlora.activations_bytes
    )
