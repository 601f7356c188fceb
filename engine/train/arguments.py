"""transformers' TrainingArguments from a checked config: axolotl's key names onto the Trainer's."""

from __future__ import annotations

from typing import Any

from engine.config import RunConfig
from engine.config.intervals import Interval, eval_interval, save_interval
from engine.errors import first_line
from engine.train import decisions
from engine.train.errors import TrainError
from engine.world import world_size


def training_arguments(
    config: RunConfig, *, steps_per_epoch: int, has_eval: bool, device: str, report_to: list[str]
) -> tuple[Any, list[str]]:
    """The TrainingArguments and one line per derived choice (for the log)."""
    from transformers import TrainingArguments

    kwargs, notes = argument_values(
        config, steps_per_epoch=steps_per_epoch, has_eval=has_eval, device=device, report_to=report_to
    )
    try:
        return TrainingArguments(**kwargs), notes
    except (ValueError, ImportError) as error:
        raise TrainError(f"the Trainer refuses these settings: {first_line(error) or type(error).__name__}") from error


def argument_values(
    config: RunConfig, *, steps_per_epoch: int, has_eval: bool, device: str, report_to: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """The keyword arguments of TrainingArguments, before transformers checks them (and imports DeepSpeed)."""
    evaluation = eval_interval(config, steps_per_epoch, has_eval)
    saving = save_interval(config, steps_per_epoch)
    scheduler, scheduler_kwargs = decisions.scheduler(config)
    kwargs: dict[str, Any] = {
        "output_dir": config.output_dir,
        "seed": config.seed,
        "data_seed": config.seed,
        "use_cpu": device == "cpu",
        "per_device_train_batch_size": config.micro_batch_size,
        "per_device_eval_batch_size": config.eval_batch_size or config.micro_batch_size,
        "gradient_accumulation_steps": config.effective_gradient_accumulation_steps(world_size()),
        "num_train_epochs": config.num_epochs,
        "max_steps": config.max_steps or -1,
        "optim": config.optimizer,
        "learning_rate": config.learning_rate,
        "lr_scheduler_type": scheduler,
        "lr_scheduler_kwargs": scheduler_kwargs,
        "warmup_steps": decisions.warmup(config),
        "weight_decay": config.weight_decay or 0.0,
        "max_grad_norm": decisions.max_grad_norm(config),
        "bf16": config.bf16 is True,
        "fp16": bool(config.fp16),
        "tf32": config.tf32 if device == "cuda" else None,
        "gradient_checkpointing": bool(config.gradient_checkpointing),
        "gradient_checkpointing_kwargs": config.gradient_checkpointing_kwargs or {"use_reentrant": False},
        "logging_strategy": "steps",
        "logging_steps": decisions.logging_steps(config),
        # The filter logs a NaN/inf step as the mean of earlier ones (0.0 on the first step): a diverged run would
        # look healthy. Unfiltered, the non-finite loss reaches the callbacks, which stop the run as failed.
        "logging_nan_inf_filter": False,
        "save_total_limit": config.save_total_limit,
        "save_only_model": bool(config.save_only_model),
        "load_best_model_at_end": bool(config.load_best_model_at_end),
        "remove_unused_columns": False,
        "report_to": report_to,
        "run_name": config.wandb_name,
        "disable_tqdm": True,
        "torch_compile": config.torch_compile is True,
        "neftune_noise_alpha": config.neftune_noise_alpha,
        "train_sampling_strategy": "group_by_length"
        if config.group_by_length and not config.sample_packing
        else "random",
        "dataloader_num_workers": config.dataloader_num_workers or 0,
        "dataloader_pin_memory": bool(config.dataloader_pin_memory) if device == "cuda" else False,
        "dataloader_prefetch_factor": config.dataloader_prefetch_factor,
        **_optional_adam(config),
        **_interval_kwargs("eval", evaluation),
        **_interval_kwargs("save", saving),
        **_best_model(config, has_eval),
        **_distributed(config),
    }
    notes = [f"evaluation: {evaluation.reason}", f"checkpoints: {saving.reason}"]
    return kwargs, notes


def _interval_kwargs(what: str, interval: Interval) -> dict[str, Any]:
    kwargs: dict[str, Any] = {f"{what}_strategy": interval.strategy}
    if interval.steps is not None:
        kwargs[f"{what}_steps"] = interval.steps
    return kwargs


def _optional_adam(config: RunConfig) -> dict[str, Any]:
    """Only the Adam settings the user gave; the rest keep transformers' defaults (0.9, 0.999, 1e-8)."""
    values = {"adam_beta1": config.adam_beta1, "adam_beta2": config.adam_beta2, "adam_epsilon": config.adam_epsilon}
    return {key: value for key, value in values.items() if value is not None}


def _best_model(config: RunConfig, has_eval: bool) -> dict[str, Any]:
    """Early stopping and keeping the best checkpoint both judge checkpoints by the eval loss."""
    if has_eval and (config.load_best_model_at_end or config.early_stopping_patience):
        return {"metric_for_best_model": "eval_loss", "greater_is_better": False}
    return {}


def _distributed(config: RunConfig) -> dict[str, Any]:
    """DeepSpeed (a file or a built-in name, engine.sharding), FSDP (axolotl's keys translated) and DDP settings
    for accelerate; `ddp_find_unused_parameters` defaults off.

    The Trainer would turn it on for a PEFT model (it is no PreTrainedModel), which costs an extra pass over the
    autograd graph every step and makes torch warn on each rank that nothing was unused: every parameter that
    requires a gradient (the adapter) gets one each step. The non-reentrant gradient checkpointing the engine uses
    by default is safe without it; `use_reentrant: true` with DDP may need `ddp_find_unused_parameters: true`.
    """
    from engine.sharding import fsdp_options, resolve_deepspeed

    deepspeed = resolve_deepspeed(config.deepspeed)
    fsdp = fsdp_options(config)
    values: dict[str, Any] = {
        "deepspeed": str(deepspeed) if deepspeed else config.deepspeed,
        "fsdp": (config.fsdp or True) if fsdp is not None else None,
        "fsdp_config": fsdp,
        "ddp_timeout": config.ddp_timeout,
        "ddp_find_unused_parameters": bool(config.ddp_find_unused_parameters),
        "ddp_bucket_cap_mb": config.ddp_bucket_cap_mb,
    }
    return {key: value for key, value in values.items() if value is not None}
