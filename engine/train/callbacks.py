"""TrainerCallbacks: typed events for the monitor, graceful stops, first-step saves and the loss watchdog."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from engine.events import CheckpointEvent, EvalEvent, PhaseEvent, RunFacts, StartedEvent, StepEvent
from engine.train.distributed import any_process, wait_for_all
from engine.train.memory import gpu_memory, peak_memory_mb, resident_mb
from engine.train.reporter import Reporter
from engine.train.state import RunTally
from engine.train.stopping import StopRequest

if TYPE_CHECKING:
    from engine.train.samples import SamplePrompt, SampleSettings

PREFIX_CHECKPOINT_DIR = "checkpoint"
EVAL_PROGRESS_SECONDS = 2.0
"""An evaluation reports its batches done at most this often (plus its first and last batch): a live count for a
long evaluation, without a line per batch for a fast one."""


class EventsCallback(TrainerCallback):
    """Emits started, phase, step, eval and checkpoint events from the main process."""

    def __init__(
        self, reporter: Reporter, facts: RunFacts, progress: RunTally, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.reporter = reporter
        self.facts = facts
        self.progress = progress
        self.clock = clock
        """What throttles the eval progress lines (a test passes its own)."""
        self._interval_start = time.time()
        self._interval_tokens = 0
        self._first_step = 0
        self._total_steps = 0
        self._stepping = False
        self._eval_batches = 0
        self._eval_reported = 0.0

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        self._total_steps = state.max_steps
        self._first_step = state.global_step
        self.progress.step = state.global_step
        if not state.is_world_process_zero:
            return
        started = StartedEvent(
            total_steps=state.max_steps, eval_every=_eval_every(args, state, self.facts), **self.facts.model_dump()
        )
        self.reporter.emit(started)
        detail = f"resuming at step {state.global_step}" if state.global_step else ""
        self.reporter.phase("training", detail)
        self._interval_start = time.time()

    def on_step_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        """The first interval's rate starts with the first step, not before the base model's sample answers."""
        if not self._stepping:
            self._stepping = True
            self._interval_start = time.time()

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        """Steps that are not logged still announce an evaluation or a save; logged ones do it after their line."""
        if state.is_world_process_zero and not control.should_log:
            self._announce(control)

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: Any = None, **_: Any
    ) -> None:
        logs = logs or {}
        self.progress.step = state.global_step
        self.progress.tokens_seen = int(logs.get("tokens_seen", self.progress.tokens_seen))
        if "loss" not in logs or not state.is_world_process_zero:
            return
        if not math.isfinite(float(logs["loss"])):  # NonFiniteLossCallback fails the run; no step shows it as a loss
            return
        self.progress.last_loss = float(logs["loss"])
        event = self._step_event(state, logs)
        self.reporter.emit(event)
        self._announce(control)
        self.reporter.write_log(
            "info",
            f"step {event.step}/{event.total_steps} loss {event.loss:.4f} lr {event.lr:.3g} "
            f"{event.tokens_per_second:,.0f} tok/s",
        )

    def _step_event(self, state: TrainerState, logs: dict[str, Any]) -> StepEvent:
        now = time.time()
        tokens = self.progress.tokens_seen
        rate = (tokens - self._interval_tokens) / max(now - self._interval_start, 1e-9)
        self._interval_start, self._interval_tokens = now, tokens
        elapsed = now - self.progress.start_time
        done = state.global_step - self._first_step
        remaining = self._total_steps - state.global_step
        grad_norm = logs.get("grad_norm")
        gpus = gpu_memory()
        peak = peak_memory_mb(gpus)
        self.progress.peak_memory_mb = max(self.progress.peak_memory_mb or 0.0, peak)
        return StepEvent(
            step=state.global_step,
            total_steps=self._total_steps,
            epoch=float(state.epoch or 0.0),
            loss=float(logs["loss"]),
            lr=float(logs.get("learning_rate", 0.0)),
            grad_norm=None if grad_norm is None or not math.isfinite(grad_norm) else float(grad_norm),
            tokens_per_second=rate,
            tokens_seen=tokens,
            elapsed_s=elapsed,
            eta_s=elapsed / done * remaining if done > 0 else None,
            memory_mb=peak,
            rss_mb=resident_mb(),
            gpus=gpus,
        )

    def on_prediction_step(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        """One eval batch done: `evaluating` with the batches done and their total, throttled."""
        self._eval_batches += 1
        if not state.is_world_process_zero:
            return
        total = _batches(kwargs.get("eval_dataloader"))
        now = self.clock()
        first, last = self._eval_batches == 1, self._eval_batches == total
        if first or last or now - self._eval_reported >= EVAL_PROGRESS_SECONDS:
            self._eval_reported = now
            self.reporter.emit(PhaseEvent(phase="evaluating", current=self._eval_batches, total=total))

    def on_evaluate(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, metrics: Any = None, **_: Any
    ) -> None:
        self._eval_batches = 0  # the next evaluation counts from its first batch
        metrics = metrics or {}
        if "eval_loss" not in metrics:
            return
        self.progress.last_eval_loss = float(metrics["eval_loss"])
        if not state.is_world_process_zero:
            return
        event = EvalEvent(
            step=state.global_step,
            epoch=float(state.epoch or 0.0),
            eval_loss=float(metrics["eval_loss"]),
            perplexity=float(metrics.get("eval_perplexity", math.exp(min(metrics["eval_loss"], 50.0)))),
        )
        self.reporter.write_log(
            "info", f"eval at step {event.step}: loss {event.eval_loss:.4f}, perplexity {event.perplexity:.2f}"
        )
        self.reporter.emit(event)
        self._after_pause(state, control)

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        folder = Path(args.output_dir)  # type: ignore[arg-type]  # never None: __post_init__ fills a default
        path = str(folder / f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}")
        self.progress.last_checkpoint = path
        if not state.is_world_process_zero:
            return
        self.reporter.emit(CheckpointEvent(step=state.global_step, path=path))
        self.reporter.write_log("info", f"checkpoint at step {state.global_step}: {path}")
        self._after_pause(state, control)

    def _announce(self, control: TrainerControl) -> None:
        """The phase the Trainer enters right after this step, when it pauses training."""
        if control.should_evaluate:
            self.reporter.phase("evaluating")
        elif control.should_save:
            self.reporter.phase("saving")

    def _after_pause(self, state: TrainerState, control: TrainerControl) -> None:
        """After an eval a save may follow; after the last one, training resumes (unless the run is over)."""
        if control.should_save:
            self.reporter.phase("saving")
        elif state.global_step < self._total_steps and not control.should_training_stop:
            self.reporter.phase("training")
        self._interval_start = time.time()


def _eval_every(args: TrainingArguments, state: TrainerState, facts: RunFacts) -> int | None:
    """The steps between evaluations as the Trainer runs them: its own step count (a fraction of the run already
    turned into steps) or an epoch's steps; None when it does not evaluate."""
    strategy = str(getattr(args.eval_strategy, "value", args.eval_strategy))
    if strategy == "steps" and state.eval_steps:
        return max(1, int(state.eval_steps))
    steps_per_epoch = facts.dataset.get("steps_per_epoch")
    if strategy == "epoch" and isinstance(steps_per_epoch, int) and steps_per_epoch > 0:
        return steps_per_epoch
    return None


def _batches(loader: Any) -> int | None:
    """The batches of this process's share of the eval split, when the loader knows its length."""
    try:
        return len(loader) if loader is not None else None
    except TypeError:
        return None


class SampleAnswersCallback(TrainerCallback):
    """`generate_samples: true`: the base model's answers before the first step, then the model's at each evaluation.

    Rank 0 generates alone while every other rank waits at a barrier, so the ranks leave each pause together and
    no collective of the next step meets a rank that is still generating. Placed before EventsCallback: the answers
    are written while the monitor still shows the evaluation, before the eval line that ends it.
    """

    def __init__(self, reporter: Reporter, settings: SampleSettings, eval_dataset: Any, tokenizer: Any) -> None:
        self.reporter = reporter
        self.settings = settings
        self.eval_dataset = eval_dataset
        self.tokenizer = tokenizer
        self._prompts: list[SamplePrompt] | None = None
        self._began = False

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model: Any = None, **_: Any
    ) -> None:
        """Once, before the first step of a fresh run (a resumed run has its base answers already)."""
        if self._began:
            return
        self._began = True
        if state.global_step == 0:
            self._answer(state, model, "the base model")

    def on_evaluate(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        metrics: Any = None,
        **_: Any,
    ) -> None:
        if "eval_loss" in (metrics or {}):
            self._answer(state, model, f"step {state.global_step}")

    def _answer(self, state: TrainerState, model: Any, whose: str) -> None:
        from engine.train.samples import generate_samples, pick_prompts

        if state.is_world_process_zero and model is not None:
            if self._prompts is None:
                self._prompts = pick_prompts(self.eval_dataset, self.settings)
            event = generate_samples(model, self.tokenizer, self._prompts, self.settings, state.global_step)
            self.reporter.emit(event)
            self.reporter.log(
                f"sample answers of {whose}: {len(event.samples)} generated in {event.seconds:.1f} s "
                f"({event.new_tokens} tokens)"
            )
        wait_for_all()


class StopCallback(TrainerCallback):
    """Turns a stop request (Ctrl-C, SIGTERM, the watchdog) into: save a checkpoint now, then stop."""

    def __init__(self, stop: StopRequest) -> None:
        self.stop = stop

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        self.stop.in_training = True

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        self._stop_if_requested(args, control)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        """A request made while the step was being logged (a monitor reacting to it) is honoured at this step:
        the Trainer saves right after logging."""
        self._stop_if_requested(args, control)

    def _stop_if_requested(self, args: TrainingArguments, control: TrainerControl) -> None:
        """Every rank calls this at the same points, so in a multi-process run they agree on the step to stop at."""
        requested = any_process(self.stop.requested, args.device) if args.world_size > 1 else self.stop.requested
        if requested and not self.stop.requested:
            self.stop.request("another process of this run was asked to stop")
        if requested:
            control.should_save = self.stop.save
            control.should_evaluate = False
            control.should_training_stop = True

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        self.stop.in_training = False


class SaveFirstStepCallback(TrainerCallback):
    """`save_first_step: true`: prove saving works right after step 1 instead of at the first scheduled save."""

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **_: Any) -> None:
        if state.global_step == 1:
            control.should_save = True


class LossWatchdogCallback(TrainerCallback):
    """Stops a diverging run: the logged loss above `threshold` for `patience` logs in a row."""

    def __init__(self, threshold: float, patience: int, on_trip: Callable[[str], None]) -> None:
        self.threshold = threshold
        self.patience = patience
        self.on_trip = on_trip
        self.strikes = 0

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: Any = None, **_: Any
    ) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        self.strikes = self.strikes + 1 if loss > self.threshold else 0
        if self.strikes >= self.patience:
            self.on_trip(
                f"loss {loss:.3f} stayed above loss_watchdog_threshold {self.threshold:g} for {self.strikes} logs"
            )


class NonFiniteLossCallback(TrainerCallback):
    """A NaN or infinite loss means the weights are ruined (often learning_rate far too high): stop the run as
    failed at once, without saving the broken weights over anything."""

    def __init__(self, on_trip: Callable[[str], None]) -> None:
        self.on_trip = on_trip

    def on_log(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs: Any = None, **_: Any
    ) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.on_trip(
                f"the loss became {float(loss)} at step {state.global_step}, so training cannot continue; "
                "lower learning_rate (or set max_grad_norm), and check the data for empty or broken rows"
            )


class NonFiniteWeightsCallback(TrainerCallback):
    """Trained weights that became NaN or infinite (an update too large: a huge weight_decay or learning rate) ruin
    the result even while the loss logged before the update looks fine: checked after each step that logs or
    saves, and after the last, so such weights are never saved as a checkpoint or reported as done. A step that
    logs is checked when it logs, after NonFiniteLossCallback: a NaN loss says more about the cause."""

    def __init__(self, on_trip: Callable[[str], None]) -> None:
        self.on_trip = on_trip

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, model: Any = None, **_: Any
    ) -> None:
        if not control.should_log and (control.should_save or state.global_step >= state.max_steps):
            self._check(state, model)

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: Any = None,
        logs: Any = None,
        **_: Any,
    ) -> None:
        if "loss" in (logs or {}):
            self._check(state, model)

    def _check(self, state: TrainerState, model: Any) -> None:
        if model is None or _weights_finite(model):
            return
        self.on_trip(
            f"the trained weights became NaN or infinite at step {state.global_step}, so the result would be "
            "useless; lower learning_rate or weight_decay (or set max_grad_norm)"
        )


def _weights_finite(model: Any) -> bool:
    """Whether every trained weight is finite: one check per tensor on its device, and one sync for them all."""
    import torch

    checks = [torch.isfinite(p).all() for p in model.parameters() if p.requires_grad]
    return bool(torch.stack(checks).all()) if checks else True
