"""Config keys for the optimisation loop: batch sizes, schedule, precision, attention, evals and checkpoints."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.config.base import StrictModel

MAX_STEPS = 1_000_000_000
"""Most optimiser steps (or epochs, or steps between saves) a setting may name: a billion steps is centuries of
training; a bigger number is a typo (`--max_steps 1e23`) that would otherwise be accepted without a word."""


class BatchSection(StrictModel):
    """How many rows make one optimiser step, and for how long to train."""

    micro_batch_size: int = Field(default=1, ge=1)
    """Rows (or packed rows) per forward pass on each device. Memory grows with micro_batch_size x
    sequence_len."""
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    """Forward passes whose gradients are summed before one optimiser step. Effective batch = micro_batch_size x
    gradient_accumulation_steps x devices."""
    batch_size: int | None = Field(default=None, ge=1)
    """axolotl's older way to say the effective batch; gradient_accumulation_steps is derived from it."""
    eval_batch_size: int | None = Field(default=None, ge=1)
    """Rows per evaluation forward pass (default: micro_batch_size)."""
    num_epochs: float = Field(default=1.0, gt=0, le=MAX_STEPS)
    """Passes over the training data."""
    max_steps: int | None = Field(default=None, ge=1, le=MAX_STEPS)
    """Stop after this many optimiser steps; overrides `num_epochs`."""


class OptimSection(StrictModel):
    """The optimiser and the learning-rate schedule."""

    optimizer: str = "adamw_torch_fused"
    """The optimiser by its transformers name: adamw_torch_fused, adamw_torch, adamw_bnb_8bit (CUDA), adafactor,
    sgd ..."""
    learning_rate: float = Field(default=2e-4, gt=0)
    """Peak learning rate. LoRA typically 1e-4 to 3e-4; full fine-tuning about 1e-5."""
    lr_scheduler: str = "cosine"
    """How the learning rate changes over training: cosine, linear, constant, constant_with_warmup ..."""
    lr_scheduler_kwargs: dict[str, Any] | None = None
    """Extra arguments for the scheduler."""
    cosine_min_lr_ratio: float | None = Field(default=None, ge=0, le=1)
    """With cosine: the floor of the learning rate as a fraction of the peak."""
    warmup_steps: int | None = Field(default=None, ge=0)
    """Steps over which the learning rate ramps up from 0. Use this or `warmup_ratio`, not both."""
    warmup_ratio: float | None = Field(default=None, ge=0, lt=1)
    """The warmup as a fraction of all steps (0.03-0.1 is typical)."""
    weight_decay: float | None = Field(default=0.0, ge=0)
    """Decoupled weight decay of the optimiser. 0 is common for LoRA."""
    max_grad_norm: float | None = Field(default=None, ge=0, le=1e6)
    """Clip the gradient norm to this value (default 1.0); 0 turns clipping off."""
    adam_beta1: float | None = Field(default=None, ge=0, lt=1)
    """Adam's beta1 (default 0.9)."""
    adam_beta2: float | None = Field(default=None, ge=0, lt=1)
    """Adam's beta2 (default 0.999)."""
    adam_epsilon: float | None = Field(default=None, gt=0, le=1)
    """Adam's epsilon (default 1e-8)."""
    neftune_noise_alpha: float | None = Field(default=None, ge=0, le=1e3)
    """Add NEFTune noise of this scale to the embeddings while training."""


class PrecisionSection(StrictModel):
    """Number formats and memory savers."""

    bf16: bool | Literal["auto"] | None = "auto"
    """Train in bfloat16. `auto` uses it when the hardware supports it (recent GPUs, CPUs with AVX512-BF16/AMX),
    about 1.8x faster than float32 on such a CPU."""
    fp16: bool | None = None
    """Train in float16 with loss scaling (older GPUs without bf16)."""
    tf32: bool | None = None
    """Allow TF32 matrix maths on Ampere or newer GPUs."""
    gradient_checkpointing: bool | Literal["unsloth", "offload"] | None = False
    """Recompute activations in the backward pass instead of storing them: much less memory, about 30% slower."""
    gradient_checkpointing_kwargs: dict[str, Any] | None = None
    """Extra arguments for gradient checkpointing, e.g. `{use_reentrant: false}`."""
    attn_implementation: str | None = None
    """The attention kernel: sdpa, eager, flash_attention_2 or xformers. Empty picks the fastest that works on the
    device and keeps packed samples isolated."""
    flash_attention: bool | None = None
    """Legacy switch for `attn_implementation: flash_attention_2`."""
    xformers_attention: bool | None = None
    """Legacy switch for `attn_implementation: xformers`."""
    sdp_attention: bool | None = None
    """Legacy switch for `attn_implementation: sdpa`."""
    flex_attention: bool | None = None
    """Legacy switch for `attn_implementation: flex_attention`."""
    torch_compile: bool | Literal["auto"] | None = None
    """Compile the model with torch.compile."""


class ScheduleSection(StrictModel):
    """When to evaluate, checkpoint and log; where results go."""

    output_dir: str = Field(default="./outputs/lora-out", min_length=1, pattern=r"\S")
    """Folder for checkpoints, the final adapter, the events log and a copy of this config."""
    evals_per_epoch: int | None = Field(default=None, ge=0)
    """Evaluate this many times per epoch. Use this or `eval_steps`."""
    eval_steps: int | float | None = Field(default=None, gt=0, le=MAX_STEPS)
    """Evaluate every N steps (or a fraction of all steps when below 1)."""
    eval_strategy: Literal["no", "steps", "epoch"] | None = None
    """When to evaluate, if not set through evals_per_epoch or eval_steps."""
    saves_per_epoch: int | None = Field(default=None, ge=0)
    """Save a checkpoint this many times per epoch. Use this or `save_steps`."""
    save_steps: int | float | None = Field(default=None, gt=0, le=MAX_STEPS)
    """Save a checkpoint every N steps (or a fraction of all steps when below 1)."""
    save_strategy: Literal["no", "steps", "epoch", "best"] | None = None
    """When to save checkpoints, if not set through saves_per_epoch or save_steps."""
    save_total_limit: int | None = Field(default=None, ge=1)
    """Keep at most this many checkpoints; older ones are deleted."""
    save_safetensors: bool | None = None
    """Save weights as safetensors (default yes)."""
    save_first_step: bool | None = None
    """Save a checkpoint after the first step, to prove saving works before a long run."""
    save_only_model: bool | None = None
    """Checkpoints without optimizer state: smaller, but training cannot resume exactly from them."""
    logging_steps: int | None = Field(default=None, ge=1)
    """Log loss and learning rate every N steps (default: every step)."""
    early_stopping_patience: int | None = Field(default=None, ge=1)
    """Stop when the eval loss has not improved for this many evaluations."""
    load_best_model_at_end: bool | None = None
    """Keep the checkpoint with the best eval loss at the end instead of the last."""
    loss_watchdog_threshold: float | None = Field(default=None, gt=0)
    """Stop training when the loss stays above this value (a diverging run)."""
    loss_watchdog_patience: int | None = Field(default=None, ge=1)
    """How many steps the loss may stay above the watchdog threshold before stopping."""
    resume_from_checkpoint: str | bool | None = None
    """Resume from this checkpoint folder (`true`: the latest in output_dir)."""
    auto_resume_from_checkpoints: bool | None = None
    """Resume from the latest checkpoint in output_dir when there is one."""
    seed: int = 42
    """Random seed for shuffling, splitting, packing and initialisation: same seed, same run."""
    dataloader_num_workers: int | None = Field(default=None, ge=0)
    """Worker processes feeding batches (0 = in the training process)."""
    dataloader_pin_memory: bool | None = None
    """Pin host memory for faster copies to a GPU."""
    dataloader_prefetch_factor: int | None = Field(default=None, ge=1)
    """Batches each dataloader worker prepares ahead."""
