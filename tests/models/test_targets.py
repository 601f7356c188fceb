"""One answer to "which layers does LoRA wrap": the trainer, the wizard's count and the rule all read
engine/models/targets.py, and its table of peft's defaults is peft's own."""

from __future__ import annotations

import pytest

from engine.config import RunConfig, parse_config_dict
from engine.models.facts import ALL_LINEAR, FAMILIES
from engine.models.targets import PEFT_DEFAULT_TARGETS, default_targets_text, lora_targets


def config(**keys: object) -> RunConfig:
    return parse_config_dict({"datasets": [{"path": "rows.json", "type": "alpaca"}], "adapter": "lora", **keys})


def test_lora_target_linear_means_every_linear_layer() -> None:
    assert lora_targets(config(lora_target_linear=True, lora_target_modules=["q_proj"]), "llama") == ALL_LINEAR
    assert lora_targets(config(lora_target_modules=["q_proj", "k_proj"]), "llama") == ["q_proj", "k_proj"]


def test_no_targets_means_peft_default_for_the_model_type() -> None:
    assert lora_targets(config(), "llama") == ["q_proj", "v_proj"]
    assert lora_targets(config(), "phi3") is None
    assert lora_targets(config(), "some_new_model") is None  # peft decides
    assert default_targets_text("llama") == "q_proj and v_proj"
    assert "refuses" in default_targets_text("phi3")


@pytest.mark.parametrize("model_type", list(FAMILIES))
def test_the_table_is_peft_own(model_type: str) -> None:
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as PEFT

    expected = PEFT.get(model_type)
    assert PEFT_DEFAULT_TARGETS.get(model_type) == (tuple(expected) if expected else None)
