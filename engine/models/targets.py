"""Which layers LoRA wraps, decided once: the trainer hands this to peft, the wizard counts its weights and the
rule about missing targets names it, so the count on screen is the count that trains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.models.facts import ALL_LINEAR, FAMILIES

if TYPE_CHECKING:
    from engine.config import RunConfig

PEFT_DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {
    "llama": ("q_proj", "v_proj"),
    "mistral": ("q_proj", "v_proj"),
    "qwen2": ("q_proj", "v_proj"),
    "qwen3": ("q_proj", "v_proj"),
    "gemma": ("q_proj", "v_proj"),
    "gemma2": ("q_proj", "v_proj"),
    "gemma3_text": ("q_proj", "v_proj"),
}
"""peft's own choice when a LoRA config names no targets, for the model types ft-tui has a layer table for (a
test compares it with peft's table). phi3 is absent because peft has no default for it and refuses to start."""


def lora_targets(config: RunConfig, model_type: str | None) -> list[str] | str | None:
    """`all-linear` with `lora_target_linear` (it covers any listed layer), else the listed names, else peft's
    default for `model_type`; None for a model type outside the table, where peft decides (or, for phi3,
    refuses to start without a list)."""
    if config.lora_target_linear:
        return ALL_LINEAR
    if config.lora_target_modules:
        return config.lora_target_modules
    default = PEFT_DEFAULT_TARGETS.get(model_type or "")
    return list(default) if default else None


def default_targets_text(model_type: str) -> str:
    """What training without targets adapts in a `model_type` model, for messages: `q_proj and v_proj`."""
    default = PEFT_DEFAULT_TARGETS.get(model_type)
    if default is not None:
        return " and ".join(default)
    if model_type in FAMILIES:
        return f"none: peft has no default for {model_type} models and refuses to start"
    return f"whatever peft's table names for {model_type} models"
