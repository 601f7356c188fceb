"""Config keys for experiment tracking and distributed training."""

from __future__ import annotations

from typing import Any

from engine.config.base import StrictModel


class TrackingSection(StrictModel):
    """Weights & Biases, TensorBoard and hub access."""

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
