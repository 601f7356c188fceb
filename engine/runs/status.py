"""A run's state and latest numbers, folded from its events: shared by the runs list and the monitor's header."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from engine.events import (
    CheckpointEvent,
    ErrorEvent,
    EvalEvent,
    Event,
    FinishedEvent,
    PhaseEvent,
    StartedEvent,
    StepEvent,
    parse_event_lines,
)
from engine.runs.paths import EVENTS_FILE

RunState = Literal[
    "starting", "preparing data", "loading model", "training", "evaluating", "saving", "finished", "stopped", "failed"
]
LIVE_STATES: tuple[RunState, ...] = ("starting", "preparing data", "loading model", "training", "evaluating", "saving")

_PHASE_STATES: dict[str, RunState] = {
    "starting": "starting",
    "preparing_data": "preparing data",
    "loading_model": "loading model",
    "training": "training",
    "evaluating": "evaluating",
    "saving": "saving",
}
_FINISH_STATES: dict[str, RunState] = {"completed": "finished", "stopped": "stopped", "failed": "failed"}

HEAD_BYTES = 64 * 1024
TAIL_BYTES = 256 * 1024
"""A long run's events file holds megabytes of steps; the runs list reads only its head (the started event)
and its tail (the latest state), so listing stays instant at any run length."""


@dataclass
class RunStatus:
    """The latest of everything a run reported; `apply` each event in file order."""

    run_name: str = ""
    model: str = ""
    output_dir: str = ""
    device: str = ""
    pid: int | None = None
    started_time: float | None = None
    resumed_from: str | None = None
    phase: str = "starting"
    phase_detail: str = ""
    phase_current: int | None = None
    phase_total: int | None = None
    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    num_epochs: float = 0.0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    tokens_per_second: float = 0.0
    tokens_seen: int = 0
    last_loss: float | None = None
    last_eval_loss: float | None = None
    last_time: float | None = None
    step_time: float | None = None
    """When the latest step event was written: live clocks count on from it."""
    checkpoints: list[CheckpointEvent] = field(default_factory=list)
    error: ErrorEvent | None = None
    finished: FinishedEvent | None = None
    events_seen: int = 0

    def apply(self, event: Event) -> None:
        self.events_seen += 1
        self.last_time = event.time
        if self.finished is not None:
            self._next_process()
        if isinstance(event, StartedEvent):
            self._apply_started(event)
        elif isinstance(event, PhaseEvent):
            self.phase, self.phase_detail = event.phase, event.detail
            self.phase_current, self.phase_total = event.current, event.total
        elif isinstance(event, StepEvent):
            self._apply_step(event)
        elif isinstance(event, EvalEvent):
            self.last_eval_loss = event.eval_loss
        elif isinstance(event, CheckpointEvent):
            self.checkpoints = [c for c in self.checkpoints if c.path != event.path] + [event]
        elif isinstance(event, ErrorEvent):
            self.error = event
        elif isinstance(event, FinishedEvent):
            self.finished = event
            self.step = max(self.step, event.step)

    def _apply_started(self, event: StartedEvent) -> None:
        """A resume appends to the same file: it clears the last ending but keeps the history before it."""
        self.run_name = event.run_name
        self.model = str(event.config.get("base_model", ""))
        self.output_dir = str(event.config.get("output_dir", ""))
        self.device = f"{event.device} · {event.dtype}"
        self.pid = event.pid
        self.started_time = event.time
        self.elapsed_s, self.eta_s = 0.0, None  # each engine process counts its own time from its start
        self.resumed_from = event.resumed_from
        self.total_steps = event.total_steps
        self.num_epochs = event.num_epochs
        self.phase = "starting"
        self.error = None

    def _next_process(self) -> None:
        """Anything after a `finished` event comes from a new engine process (a resume): the old ending is over."""
        self.finished = None
        self.error = None
        self.phase = "starting"

    def _apply_step(self, event: StepEvent) -> None:
        self.phase = "training"
        self.step, self.total_steps, self.epoch = event.step, event.total_steps, event.epoch
        self.elapsed_s, self.eta_s = event.elapsed_s, event.eta_s
        self.tokens_per_second, self.tokens_seen = event.tokens_per_second, event.tokens_seen
        self.last_loss = event.loss
        self.step_time = event.time

    def state(self, alive: bool) -> RunState:
        """What the run is doing now. A dead process without a `finished` event crashed: that is `failed`."""
        if self.finished is not None:
            return _FINISH_STATES[self.finished.status]
        if not alive:
            return "failed"
        return _PHASE_STATES.get(self.phase, "training")


def read_status(run_dir: Path) -> RunStatus:
    """The status of a run folder from its events file, reading at most its head and tail."""
    status = RunStatus()
    for event in _head_and_tail_events(run_dir / EVENTS_FILE):
        status.apply(event)
    return status


def _head_and_tail_events(path: Path) -> list[Event]:
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, 2)
            stream.seek(0)
            if size <= HEAD_BYTES + TAIL_BYTES:
                return parse_event_lines(stream.read()).events
            head = stream.read(HEAD_BYTES)
            stream.seek(size - TAIL_BYTES)
            tail = stream.read()
    except OSError:
        return []
    started = [event for event in parse_event_lines(head).events if isinstance(event, StartedEvent)][:1]
    _cut_line, _, whole_lines = tail.partition(b"\n")
    return started + parse_event_lines(whole_lines).events
