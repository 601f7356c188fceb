"""The training-memory estimate for a whole config on a target: the one number the wizard and the rules show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.models.facts import ALL_LINEAR, MemoryEstimate, Method, ModelFacts, estimate_memory
from engine.models.targets import lora_targets as chosen_targets

if TYPE_CHECKING:
    from engine.config import RunConfig
    from engine.rules.target import Target


@dataclass(frozen=True)
class MemoryFit:
    """The estimate beside the memory the target has: what the wizard's memory line and the fit rule both judge."""

    estimate: MemoryEstimate
    available_gib: float | None
    """Memory of the GPU (CUDA targets) or of the machine; None when the target does not say."""

    @property
    def fits(self) -> bool | None:
        return None if not self.available_gib else self.estimate.total_gib <= self.available_gib


def memory_fit(config: RunConfig, facts: ModelFacts, target: Target) -> MemoryFit:
    """One judgement of whether training `config` fits `target`, for every place that says so."""
    available = target.gpu_memory_gb if target.device == "cuda" else target.memory_gb
    return MemoryFit(estimate_for_config(config, facts, target), available or None)


def estimate_for_config(config: RunConfig, facts: ModelFacts, target: Target) -> MemoryEstimate:
    """Memory of training `config` on `target`: the method, dtype, batch shape and LoRA targets read from it."""
    return estimate_memory(
        facts,
        training_method(config),
        config.micro_batch_size,
        config.sequence_len,
        compute_dtype_bytes(config, target),
        bool(config.gradient_checkpointing),
        lora_r=config.lora_r,
        lora_target_modules=lora_targets(config, facts),
        lora_dropout=config.uses_lora() and bool(config.lora_dropout),
        device=target.device,
    )


def trained_state_estimate(config: RunConfig, facts: ModelFacts) -> MemoryEstimate:
    """The estimate of what a checkpoint holds: the trained weights (its gradients part) and their optimiser state.

    One row of one token, so no activations. `bf16: auto` counts 4 bytes a weight: the disk rule wants an upper
    bound, whatever the target turns out to support."""
    return estimate_memory(
        facts,
        training_method(config),
        1,
        1,
        2 if (config.bf16 is True or config.fp16) else 4,
        True,
        lora_r=config.lora_r,
        lora_target_modules=lora_targets(config, facts),
    )


def training_method(config: RunConfig) -> Method:
    if config.adapter == "qlora":
        return "qlora"
    return "lora" if config.uses_lora() else "full"


def compute_dtype_bytes(config: RunConfig, target: Target) -> int:
    """2 when training runs in bf16/fp16 (bf16: auto turns on where the target has it), else 4."""
    half = config.bf16 is True or bool(config.fp16) or (config.bf16 == "auto" and target.bf16)
    return 2 if half else 4


def lora_targets(config: RunConfig, facts: ModelFacts) -> list[str] | str:
    """The modules LoRA will wrap (engine.models.targets decides), as names the layer table knows; all linear
    layers, the most it could be, where that is unknown (a regex, names of another model, no peft default)."""
    targets = chosen_targets(config, facts.model_type)
    if not isinstance(targets, list):
        return ALL_LINEAR
    known = set(facts.linear_module_names)
    return [name for name in targets if name in known] or ALL_LINEAR
