"""Everything between a config and `trainer.train()`: checks, model, data, arguments, callbacks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import RunConfig, config_to_dict
from engine.events import RunFacts
from engine.rules import Finding
from engine.runs.registry import run_name_of
from engine.train import decisions
from engine.train.checkpoints import find_resume_checkpoint
from engine.train.distributed import main_process_first, single_process_surprise
from engine.train.preflight import pick_target, run_rules
from engine.train.reporter import Reporter
from engine.train.state import RunTally
from engine.train.stopping import StopRequest
from engine.world import world_size


@dataclass
class Session:
    """A run ready to start: the effective config, the Trainer, and where it resumes from."""

    config: RunConfig
    trainer: Any
    resume_from: Path | None
    automatic: list[Finding]
    facts: RunFacts


def prepare_session(
    config: RunConfig, *, resume: bool, device: str | None, reporter: Reporter, stop: StopRequest, tally: RunTally
) -> Session:
    from transformers import set_seed

    from engine.data.prepare import prepare_datasets
    from engine.models import find_model_facts, resolve_model
    from engine.train.arguments import training_arguments
    from engine.train.model import build_model
    from engine.train.tracking import report_to

    target = pick_target(device)
    reporter.log(f"target: {target.describe()}")
    surprise = single_process_surprise()
    if surprise:
        reporter.warning(surprise)
    model_facts = find_model_facts(config.base_model)
    config, automatic = run_rules(config, target, reporter, facts=model_facts)
    resume_from, skipped = find_resume_checkpoint(config, resume)
    for note in skipped:
        reporter.warning(f"{note}; resuming from {resume_from.name if resume_from else 'the start'}")
    trackers = report_to(config)
    set_seed(config.seed)

    reporter.phase("loading_model", config.base_model)
    with main_process_first(target.device, config.ddp_timeout):
        folder = resolve_model(config.base_model, progress=reporter.log)
    dtype, dtype_reason = decisions.weight_dtype(config, target.device)
    reporter.log(f"weights: {dtype} ({dtype_reason})")
    built = build_model(config, folder, dtype=dtype, device=target.device)
    for note in built.notes:
        reporter.log(note)
    reporter.log(f"parameters: {built.params_trainable:,} trainable of {built.params_total:,}")

    reporter.phase("preparing_data", f"{len(config.datasets)} dataset(s)")
    with main_process_first(target.device, config.ddp_timeout):
        prepared = prepare_datasets(config, built.tokenizer, progress=reporter.log)
    config, data_automatic = run_rules(config, target, reporter, data=prepared.facts, stages=("preflight",))
    automatic += data_automatic
    facts = prepared.facts
    reporter.log(
        f"data: {facts.train_rows} train rows ({facts.train_tokens:,} tokens), {facts.eval_rows} eval rows, "
        f"{facts.steps_per_epoch} steps an epoch"
        + (f", packing {facts.packing_efficiency:.1%} full" if config.sample_packing else "")
    )
    if world_size() > 1:
        reporter.log(
            f"data parallel: {world_size()} processes, each trains its own share of the batches; one step = "
            f"{config.effective_batch_size(world_size())} (micro_batch_size x gradient accumulation x processes)"
        )

    memory_total, tally.memory_estimate_mb = memory_numbers(config, model_facts, target)
    has_eval = prepared.eval is not None and len(prepared.eval) > 0
    arguments, notes = training_arguments(
        config, steps_per_epoch=facts.steps_per_epoch, has_eval=has_eval, device=target.device, report_to=trackers
    )
    for note in notes:
        reporter.log(note)
    run_facts = RunFacts(
        run_name=run_name_of(config),
        config=config_to_dict(config),
        device=target.device,
        dtype="bfloat16" if config.bf16 is True else ("float16" if config.fp16 else "float32"),
        attn_implementation=config.requested_attn_implementation() or "sdpa",
        params_total=built.params_total,
        params_trainable=built.params_trainable,
        num_epochs=config.num_epochs,
        dataset=facts.to_dict(),
        resumed_from=str(resume_from) if resume_from else None,
        pid=os.getpid(),
        memory_total_mb=memory_total,
        memory_estimate_mb=tally.memory_estimate_mb,
    )
    trainer = build_trainer(config, built, prepared, arguments, reporter, stop, tally, run_facts, has_eval)
    return Session(config, trainer, resume_from, automatic, run_facts)


def memory_numbers(config: RunConfig, facts: Any, target: Any) -> tuple[float | None, float | None]:
    """(the device's memory, validate's estimate for this run) in MiB, either None when it is not known."""
    from engine.models.memory import memory_fit

    if facts is None:
        available = target.gpu_memory_gb if target.device == "cuda" else target.memory_gb
        return (available * 1024 if available else None), None
    fit = memory_fit(config, facts, target)
    return (fit.available_gib * 1024 if fit.available_gib else None), fit.estimate.total_gib * 1024


def build_trainer(
    config: RunConfig,
    built: Any,
    prepared: Any,
    arguments: Any,
    reporter: Reporter,
    stop: StopRequest,
    tally: RunTally,
    run_facts: RunFacts,
    has_eval: bool,
) -> Any:
    from transformers.trainer_callback import PrinterCallback

    from engine.data.collators import PackedCollator, PaddedCollator
    from engine.train.trainer import CountingCollator, PackedTrainer

    pad_id = built.tokenizer.pad_token_id or 0
    answers = sample_answers(config, built.tokenizer, prepared.eval, reporter) if has_eval else None
    packed = CountingCollator(PackedCollator(pad_token_id=pad_id))
    padded = CountingCollator(
        PaddedCollator(pad_token_id=pad_id, pad_to=config.sequence_len if config.pad_to_sequence_len else None)
    )
    trainer = PackedTrainer(
        model=built.model,
        args=arguments,
        train_dataset=prepared.train,
        eval_dataset=prepared.eval if has_eval else None,
        processing_class=built.tokenizer,
        data_collator=packed if config.sample_packing else padded,
        eval_collator=packed if config.effective_eval_sample_packing() else padded,
        callbacks=callbacks(config, reporter, stop, tally, run_facts, has_eval, answers),
        packing=config.sample_packing,
        eval_packing=config.effective_eval_sample_packing(),
        sequence_len=config.sequence_len,
        seed=config.seed,
    )
    # The events are the run's output; the Trainer's own printing of log dicts would pollute `--events` stdout.
    trainer.remove_callback(PrinterCallback)
    return trainer


def sample_answers(config: RunConfig, tokenizer: Any, eval_dataset: Any, reporter: Reporter) -> Any | None:
    """The callback that records sample answers (`generate_samples: true`; the run has an eval split)."""
    if not config.generate_samples:
        return None
    from engine.train.callbacks import SampleAnswersCallback
    from engine.train.samples import SampleSettings

    return SampleAnswersCallback(reporter, SampleSettings.from_config(config), eval_dataset, tokenizer)


def callbacks(
    config: RunConfig,
    reporter: Reporter,
    stop: StopRequest,
    tally: RunTally,
    run_facts: RunFacts,
    has_eval: bool,
    answers: Any | None = None,
) -> list[Any]:
    from engine.train.callbacks import (
        EventsCallback,
        LossWatchdogCallback,
        NonFiniteLossCallback,
        NonFiniteWeightsCallback,
        SaveFirstStepCallback,
        StopCallback,
    )

    # Sample answers first: written while the monitor still shows the evaluation, before the eval line ends it.
    chosen: list[Any] = [answers] if answers is not None else []
    chosen.append(EventsCallback(reporter, run_facts, tally))
    ruined = lambda reason: stop.request(reason, failed=True, save=False)  # noqa: E731
    chosen += [NonFiniteLossCallback(ruined), NonFiniteWeightsCallback(ruined)]
    if config.save_first_step:
        chosen.append(SaveFirstStepCallback())
    if config.loss_watchdog_threshold is not None:
        trip = lambda reason: stop.request(reason, failed=True)  # noqa: E731
        chosen.append(LossWatchdogCallback(config.loss_watchdog_threshold, config.loss_watchdog_patience or 3, trip))
    if config.early_stopping_patience and has_eval:
        from transformers import EarlyStoppingCallback

        chosen.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    # Last, so a stop requested by any callback above (or a monitor reacting to a step event) applies at once.
    chosen.append(StopCallback(stop))
    return chosen
