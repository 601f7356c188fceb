"""The model layer: find or fetch a base model, read its facts from config.json, and load it for training."""

from engine.models.embedded import EMBEDDED_MODEL_ID
from engine.models.errors import (
    ModelLoadError,
    ModelResolutionError,
    UnknownTargetModuleError,
    UnsupportedArchitectureError,
)
from engine.models.facts import (
    MemoryEstimate,
    ModelFacts,
    estimate_memory,
    find_model_facts,
    lora_trainable_params,
    read_model_facts,
)
from engine.models.resolve import resolve_model

__all__ = [
    "EMBEDDED_MODEL_ID",
    "MemoryEstimate",
    "ModelFacts",
    "ModelLoadError",
    "ModelResolutionError",
    "UnknownTargetModuleError",
    "UnsupportedArchitectureError",
    "estimate_memory",
    "find_model_facts",
    "lora_trainable_params",
    "read_model_facts",
    "resolve_model",
]
