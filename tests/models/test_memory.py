"""The memory estimate follows the formula its docstring documents, term by term."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.models.facts import (
    FRAMEWORK_BYTES,
    ModelFacts,
    estimate_memory,
    lora_trainable_params,
    read_model_facts,
)
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
    # H=64, I=160, Q=4x16=64, L=3, V=300, d=2: a = 2H(8 + d) + 5Qd + 4Id = 1280 + 640 + 1280 bytes per token and block.
    tokens, per_block, dtype_bytes = 2 * 128, 3200, 2

    plain = estimate_memory(facts, "lora", 2, 128, dtype_bytes, gradient_checkpointing=False)
    checkpointed = estimate_memory(facts, "lora", 2, 128, dtype_bytes, gradient_checkpointing=True)

    assert plain.activations_bytes == tokens * 3 * per_block
    assert checkpointed.activations_bytes == tokens * (3 * 64 * dtype_bytes + per_block)
    assert plain.logits_bytes == tokens * 300 * (dtype_bytes + 16)


def test_lora_dropout_keeps_each_targeted_layers_input_and_mask(facts: ModelFacts) -> None:
    plain = estimate_memory(facts, "lora", 1, 128, 2, False, lora_target_modules=["q_proj", "down_proj"])
    dropped = estimate_memory(
        facts, "lora", 1, 128, 2, False, lora_target_modules=["q_proj", "down_proj"], lora_dropout=True
    )

    assert dropped.activations_bytes - plain.activations_bytes == 128 * 3 * (64 + 160) * (2 + 1)


def test_the_total_counts_the_libraries_and_says_what_it_counts(facts: ModelFacts) -> None:
    bare = estimate_memory(facts, "lora", 1, 128, 2, False)
    on_cpu = estimate_memory(facts, "lora", 1, 128, 2, False, device="cpu")

    assert on_cpu.total_bytes - bare.total_bytes == FRAMEWORK_BYTES["cpu"] > 0.4 * 2**30
    assert on_cpu.describe().startswith("weights 0.00, gradients + optimizer 0.00, activations 0.00")
    assert on_cpu.describe().endswith("libraries 0.45 GiB")


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
        qlora.activations_bytes + qlora.logits_bytes
    )
