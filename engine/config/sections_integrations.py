"""Config keys for experiment tracking, distributed training and axolotl features ft-tui does not run yet."""

from __future__ import annotations

from typing import Any

from engine.config.base import StrictModel


class TrackingSection(StrictModel):
    """Weights & Biases and the hub."""

    wandb_project: str | None = None
    """Log the run to this Weights & Biases project (needs `pip install wandb` and an API key)."""
    wandb_entity: str | None = None
    """The W&B team or user that owns the project."""
    wandb_watch: str | None = None
    """Log gradients (`gradients`), parameters (`parameters`) or both (`all`) to W&B."""
    wandb_name: str | None = None
    """The W&B run name."""
    wandb_run_id: str | None = None
    """The W&B run id, to continue a run."""
    wandb_mode: str | None = None
    """W&B mode: online, offline or disabled."""
    wandb_log_model: str | None = None
    """Upload checkpoints to W&B: `checkpoint` or `end`."""
    use_tensorboard: bool | None = None
    """Also write TensorBoard logs into output_dir."""
    hub_model_id: str | None = None
    """Push the trained adapter to this hub repository (axolotl does; ft-tui ignores it)."""
    hub_strategy: str | None = None
    """When to push to the hub (axolotl only)."""
    hf_use_auth_token: bool | None = None
    """Use the saved Hugging Face token to download gated models and datasets."""


class DistributedSection(StrictModel):
    """Multi-GPU settings, passed to accelerate."""

    deepspeed: str | None = None
    """A DeepSpeed JSON config file (multi-GPU, CUDA)."""
    fsdp: list[str] | str | None = None
    """Legacy FSDP options for transformers."""
    fsdp_config: dict[str, Any] | None = None
    """Fully-sharded data-parallel settings (multi-GPU, CUDA)."""
    fsdp_version: int | None = None
    """FSDP version 1 or 2."""
    ddp_timeout: int | None = None
    """Seconds the processes wait for each other."""
    ddp_find_unused_parameters: bool | None = None
    """Let DDP tolerate parameters that get no gradient."""
    ddp_bucket_cap_mb: int | None = None
    """DDP gradient bucket size in MB."""


class NotYetSupportedSection(StrictModel):
    """axolotl keys that ft-tui recognises but does not run yet.

    They are kept so an axolotl config loads and saves unchanged; the rule catalog reports any that is set.
    """

    rl: str | None = None
    """Preference tuning (dpo, ipo, orpo, kto, grpo ...), an axolotl feature ft-tui does not run yet."""
    pretraining_dataset: Any = None
    """Streaming pre-training data (axolotl only)."""
    push_dataset_to_hub: str | None = None
    """Upload the prepared dataset to the hub (axolotl only)."""
    gptq: bool | None = None
    """Load a GPTQ-quantised base model (axolotl only)."""
    unfrozen_parameters: list[str] | None = None
    """Train only the parameters matching these patterns (axolotl only)."""
    plugins: list[str] | None = None
    """axolotl plugins (Liger kernels, cut cross-entropy ...)."""
    s2_attention: bool | None = None
    """Shifted-sparse attention (axolotl only)."""
    relora_steps: int | None = None
    """ReLoRA restarts (axolotl only)."""
    lora_on_cpu: bool | None = None
    """Keep the LoRA weights on the CPU when merging (axolotl only)."""
    strict: bool | None = None
    """axolotl's strict-loading switch (ft-tui is always strict about keys)."""
    debug: bool | None = None
    """axolotl's debug switch (use `ft-tui preprocess --debug N` instead)."""
    chat_template_kwargs: dict[str, Any] | None = None
    """Extra variables passed to the chat template."""

    def unsupported_keys_set(self) -> list[str]:
        """Keys of this section that hold a value, i.e. features the user asked for that we cannot run."""
        return [
            name for name in NotYetSupportedSection.model_fields if getattr(self, name) not in (None, False, [], {}, "")
        ]
