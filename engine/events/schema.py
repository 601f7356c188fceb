"""The typed JSON-lines events a training run writes: the only interface between engine, monitor and benchmarks.

Every line is one JSON object with `v` (schema version), `type` and `time` (Unix seconds). Readers accept
unknown future fields, so a newer engine never breaks an older monitor; `v` changes only when a field's meaning
does. docs/events.md documents every field.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = 1

Phase = Literal["starting", "preparing_data", "loading_model", "training", "evaluating", "saving"]
FinishStatus = Literal["completed", "stopped", "failed"]
LogLevel = Literal["debug", "info", "warning", "error"]


class _Event(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    v: int = SCHEMA_VERSION
    """Schema version of the line."""
    time: float = Field(default_factory=time.time)
    """When the event happened, in Unix seconds."""


class RunFacts(BaseModel):
    """What a run is, known before its first step: the started event's content, built by engine.train."""

    model_config = ConfigDict(frozen=True)

    run_name: str
    config: dict[str, Any]
    device: str
    dtype: str
    attn_implementation: str
    params_total: int
    params_trainable: int
    num_epochs: float
    dataset: dict[str, Any] = Field(default_factory=dict)
    """Data facts: rows, tokens, packing efficiency, batches per epoch (see engine.data.stats)."""
    resumed_from: str | None = None
    pid: int | None = None
    memory_total_mb: float | None = None
    """Memory of the device that limits the run: the GPU's on CUDA, the machine's on a CPU (None when unknown)."""
    memory_estimate_mb: float | None = None
    """`ft-tui validate`'s estimate of the run's memory, to compare with what it used."""


class _StartedType(_Event):
    type: Literal["started"] = "started"


class StartedEvent(RunFacts, _StartedType):
    """The run has begun: what it trains, on what, with how much data (the run's facts and its step count).

    The bases are ordered so a line reads `v`, `time`, `type`, then the facts, like every other event."""

    total_steps: int
    eval_every: int | None = None
    """Optimiser steps between evaluations as the Trainer runs them (None: no evaluation); the monitor counts the
    evaluations still to come in its ETA."""


class PhaseEvent(_Event):
    """The run moved to another phase; `current`/`total` report progress inside it when known.

    The same phase may repeat with new counts: an evaluation reports its batches done (`evaluating` 12/40)."""

    type: Literal["phase"] = "phase"
    phase: Phase
    detail: str = ""
    current: int | None = None
    total: int | None = None


class GpuMemory(BaseModel):
    """One CUDA device's memory as the caching allocator counts it, in MiB."""

    model_config = ConfigDict(extra="allow", frozen=True)

    device: int
    allocated_mb: float
    """Held by tensors now."""
    reserved_mb: float
    """Held by the allocator now (allocated plus its cache): what other processes cannot use."""
    peak_mb: float
    """The most ever allocated by this process."""


class StepEvent(_Event):
    """One optimiser step (or one logging interval) finished."""

    type: Literal["step"] = "step"
    step: int
    total_steps: int
    epoch: float
    loss: float
    lr: float
    grad_norm: float | None = None
    tokens_per_second: float
    """Real (non-padding) tokens trained per second over the last interval."""
    tokens_seen: int
    elapsed_s: float
    eta_s: float | None = None
    memory_mb: float | None = None
    """Peak resident memory of the process (CPU) or peak allocated GPU memory, in MiB."""
    rss_mb: float | None = None
    """Resident memory of the process now, in MiB (None where the system does not say)."""
    gpus: list[GpuMemory] = Field(default_factory=list)
    """Each CUDA device's memory now; empty on a CPU."""


class EvalEvent(_Event):
    """An evaluation over the held-out split finished."""

    type: Literal["eval"] = "eval"
    step: int
    epoch: float
    eval_loss: float
    perplexity: float


class SampleAnswer(BaseModel):
    """One prompt from the eval split, what the data says the answer is, and what the model answered."""

    model_config = ConfigDict(extra="allow", frozen=True)

    row: int
    """The row's index in the eval split: the same rows at every evaluation of a run."""
    prompt: str
    """What the model was given: the conversation up to its last trained turn (special tokens left out)."""
    reference: str
    """The row's own answer (its last trained turn), for comparison."""
    answer: str
    """What the model generated."""


class SamplesEvent(_Event):
    """Answers to fixed eval prompts (`generate_samples: true`), written at each evaluation; step 0 holds the base
    model's answers, recorded once before the first step."""

    type: Literal["samples"] = "samples"
    step: int
    samples: list[SampleAnswer]
    seconds: float
    """How long generating them took (training waits meanwhile)."""
    new_tokens: int = 0
    """Tokens generated in all."""
    max_new_tokens: int
    do_sample: bool
    """False: greedy decoding, so an answer changes only when the model does."""


class CheckpointEvent(_Event):
    """A checkpoint was written and can be resumed from."""

    type: Literal["checkpoint"] = "checkpoint"
    step: int
    path: str


class LogEvent(_Event):
    """A log line from the engine."""

    type: Literal["log"] = "log"
    level: LogLevel = "info"
    message: str
    logger: str = "engine"


class WarningEvent(_Event):
    """Something the user should know about, often a rule from the catalog (`rule_id`)."""

    type: Literal["warning"] = "warning"
    message: str
    rule_id: str | None = None


class ErrorEvent(_Event):
    """The run failed; `message` is the one-line cause, `detail` the traceback when there is one."""

    type: Literal["error"] = "error"
    message: str
    detail: str = ""


class FinishedEvent(_Event):
    """The last line of every run, whatever its end."""

    type: Literal["finished"] = "finished"
    status: FinishStatus
    step: int
    elapsed_s: float
    tokens_seen: int = 0
    final_loss: float | None = None
    final_eval_loss: float | None = None
    adapter_dir: str | None = None
    checkpoint: str | None = None
    """The checkpoint to resume from, when the run was stopped or failed after saving one."""
    peak_memory_mb: float | None = None
    """The most memory the run used: allocated GPU memory on CUDA, the process's resident memory on a CPU."""
    memory_estimate_mb: float | None = None
    """`ft-tui validate`'s estimate, beside the peak it is checked against."""


Event = Annotated[
    StartedEvent
    | PhaseEvent
    | StepEvent
    | EvalEvent
    | SamplesEvent
    | CheckpointEvent
    | LogEvent
    | WarningEvent
    | ErrorEvent
    | FinishedEvent,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(line: str | bytes) -> Event:
    """Validate one JSON line into its typed event; raises pydantic.ValidationError when it does not fit."""
    return EVENT_ADAPTER.validate_json(line)


def event_json_schema() -> dict[str, Any]:
    """The JSON schema of one line, for docs and for tools in other languages."""
    return EVENT_ADAPTER.json_schema()
