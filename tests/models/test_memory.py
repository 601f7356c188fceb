"""The memory estimate follows the formula its docstring documents, term by term."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.models.facts import (
    ALLOCATOR_SLACK,
    CHUNKED_LOSS_MODEL_TYPES,
    FRAMEWORK_BYTES,
    LOSS_CHUNK_ELEMENTS,
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
    # Llama's loss is computed in chunks of 2^25 / V tokens; all 256 fit in one: logits in d, fp32, gradient in d.
    assert plain.logits_bytes == tokens * 300 * (2 * dtype_bytes + 4)


def test_the_chunked_loss_holds_one_chunk_of_logits_and_other_models_all(facts: ModelFacts) -> None:
    """The estimate follows the engine: one chunk of logits where it computes the loss in chunks, every token's
    logits (with their fp32 copies and gradients) for model types that keep their own loss."""
    long = estimate_memory(facts, "lora", 1, 2**20, 2, True)
    assert long.logits_bytes == (LOSS_CHUNK_ELEMENTS // 300) * 300 * (2 * 2 + 4)
    own_loss = replace(facts, model_type="gemma2")
    assert "gemma2" not in CHUNKED_LOSS_MODEL_TYPES
    assert estimate_memory(own_loss, "lora", 1, 2**20, 2, True).logits_bytes == 2**20 * 300 * (2 + 16)


def test_lora_dropout_keeps_a_bit_mask_and_qlora_each_targeted_layers_input(facts: ModelFacts) -> None:
    """The engine's lean LoRA keeps a 1-bit mask per input feature and A's r-wide output; QLoRA's peft layers keep
    the dropped-out input and a byte mask."""
    targets = ["q_proj", "down_proj"]
    for method, per_token_and_block in (("lora", (64 + 160) // 8 + 2 * 8 * 2), ("qlora", (64 + 160) * (2 + 1))):
        plain = estimate_memory(facts, method, 1, 128, 2, False, lora_target_modules=targets)
        dropped = estimate_memory(facts, method, 1, 128, 2, False, lora_target_modules=targets, lora_dropout=True)
        assert dropped.activations_bytes - plain.activations_bytes == 128 * 3 * per_token_and_block, method


def test_the_total_counts_the_libraries_and_says_what_it_counts(facts: ModelFacts) -> None:
    bare = estimate_memory(facts, "lora", 1, 128, 2, False)
    on_cpu = estimate_memory(facts, "lora", 1, 128, 2, False, device="cpu")

    slack = int(on_cpu.activations_bytes * ALLOCATOR_SLACK["cpu"])
    assert on_cpu.total_bytes - bare.total_bytes == FRAMEWORK_BYTES["cpu"] + slack
    assert FRAMEWORK_BYTES["cpu"] > 0.4 * 2**30 and on_cpu.allocator_bytes == slack > 0
    assert on_cpu.describe().startswith("weights 0.00, gradients + optimizer 0.00, activations 0.00")
    assert on_cpu.describe().endswith("libraries 0.45, allocator 0.00 GiB")


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
