"""Everything the monitor shows about one run, folded from its events: status, chart series and log lines."""

from __future__ import annotations

import time
from dataclasses import dataclass

from engine.events import (
    ErrorEvent,
    EvalEvent,
    Event,
    LogEvent,
    PhaseEvent,
    SamplesEvent,
    StartedEvent,
    StepEvent,
    WarningEvent,
)
from engine.events.text import phase_text, warning_text
from engine.runs import RunStatus
from tui.monitor.clock import RunClock
from tui.monitor.memory import MemoryTrack
from tui.monitor.samples import SampleHistory
from tui.monitor.series import BinnedSeries, SmoothedSeries


@dataclass(frozen=True)
class LogLine:
    time: float
    level: str
    """debug, info, warning, error, or console (the engine's raw stdout/stderr)."""
    text: str

    def render(self) -> str:
        return f"{time.strftime('%H:%M:%S', time.localtime(self.time))} {self.level.upper():7} {self.text}"


class RunModel:
    """Applied event by event, in file order; `version` grows with every change, so views redraw only when needed."""

    def __init__(self) -> None:
        self.status = RunStatus()
        self.loss = SmoothedSeries()
        self.eval_loss = BinnedSeries()
        self.learning_rate = BinnedSeries()
        self.log: list[LogLine] = []
        self.memory = MemoryTrack()
        """Memory against the device's total, from the step events; warns once near the limit."""
        self.samples = SampleHistory()
        """The model's answers to the run's fixed eval prompts, by step (`generate_samples: true`)."""
        self.clock = RunClock()
        """Elapsed time and ETA (evaluations included), for the progress line."""
        self.version = 0
        self.first_time: float | None = None
        self.peak_learning_rate: float | None = None
        """The configured learning rate, so the LR chart's axis fits it from the first (warm-up, 0) step."""
        self.step_bound = False
        """True when max_steps, not the epoch count, ends the run (then "epoch 1.00/3" would be misleading)."""
        self._launch: tuple[int, float] | None = None
        """(log length, time) when the newest engine process began (its `starting` phase): where a fresh run
        in a folder that held an earlier one starts."""

    def apply(self, event: Event) -> None:
        self.version += 1
        if self.first_time is None:
            self.first_time = event.time
        if isinstance(event, PhaseEvent) and event.phase == "starting" and self.status.phase != "starting":
            self._launch = (len(self.log), event.time)
        if isinstance(event, StartedEvent) and event.resumed_from is None and self._launch is not None:
            self._forget_previous_run(*self._launch)
        if isinstance(event, StartedEvent):
            self._note_started(event)
        previous_phase = self.status.phase
        self.status.apply(event)
        self.clock.apply(event)
        if isinstance(event, StepEvent):
            self.loss.append(event.step, event.loss)
            self.learning_rate.append(event.step, event.lr)
            warning = self.memory.add(event)
            if warning:
                self.log.append(LogLine(event.time, "warning", warning))
        elif isinstance(event, EvalEvent):
            self.eval_loss.append(event.step, event.eval_loss)
        elif isinstance(event, SamplesEvent):
            self.samples.add(event)
        else:
            self._log_event(event, previous_phase)

    def _note_started(self, event: StartedEvent) -> None:
        self.memory.total_mb = event.memory_total_mb
        rate = event.config.get("learning_rate")
        self.peak_learning_rate = float(rate) if isinstance(rate, int | float) and rate > 0 else None
        self.step_bound = bool(event.config.get("max_steps"))

    def _forget_previous_run(self, log_start: int, start_time: float) -> None:
        """A fresh (not resumed) run in a folder an earlier run wrote to: nothing of the earlier run is shown
        (curves, state, failure, clock, log); a resumed run keeps its history, since it is the same run."""
        self.loss, self.eval_loss, self.learning_rate = SmoothedSeries(), BinnedSeries(), BinnedSeries()
        self.samples = SampleHistory()
        self.memory = MemoryTrack()
        self.status = RunStatus()
        self.log = self.log[log_start:]
        self.first_time = start_time
        self.clock = RunClock(attempt_start=start_time, attempt_events=1)

    @property
    def earlier_s(self) -> float:
        """Active time of the earlier processes of this run (before a stop and resume): the engine counts each
        process's time from its own start."""
        return self.clock.closed_s

    def _log_event(self, event: Event, previous_phase: str) -> None:
        if isinstance(event, LogEvent):
            self.log.append(LogLine(event.time, event.level, event.message))
        elif isinstance(event, WarningEvent):
            self.log.append(LogLine(event.time, "warning", warning_text(event)))
        elif isinstance(event, ErrorEvent):
            self.log.append(LogLine(event.time, "error", event.message))
            self.log.extend(LogLine(event.time, "error", line) for line in event.detail.splitlines())
        elif isinstance(event, PhaseEvent) and event.phase != previous_phase:
            self.log.append(LogLine(event.time, "info", f"── {phase_text(event)}"))

    def add_error(self, message: str, when: float) -> None:
        """A failure of the monitor itself (it could not read the run folder), logged like the engine's errors."""
        self.version += 1
        self.log.append(LogLine(when, "error", message))

    def add_console_lines(self, lines: list[str], when: float) -> None:
        """The engine's raw output after a crash: often the only trace of a death before any event was written."""
        self.version += 1
        self.log.extend(LogLine(when, "console", line) for line in lines)
