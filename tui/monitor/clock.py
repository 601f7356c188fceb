"""A run's elapsed time and ETA, folded from its events: what the progress line's clocks show.

Elapsed is the sum of the engine processes' active time: each process (a first start, then each resume) counts from
its first event (its `starting` phase) to its `finished` event, in the engine's own count; the time a stopped run
waits before its resume is not counted. A live process counts on to now, a dead one without a `finished` event to
its last event. So elapsed never goes backwards: a resume adds to it, and nothing is counted twice.

The ETA counts the training steps left at the measured time per step (step intervals with no evaluation or save
between), the evaluations still to come (`eval_every` of the started event, and the one after the last step) at
their measured length, and what is left of an evaluation under way from its own batch count. Before any
evaluation is measured, one is estimated from the eval split's size against the training split's: an epoch's
training time times eval rows over train rows, over three (a forward pass is about a third of a training step's
work).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import EvalEvent, Event, FinishedEvent, PhaseEvent, StartedEvent, StepEvent

FORWARD_SHARE = 1 / 3
"""An eval batch's cost against a training batch of the same size: a forward pass without the backward."""


@dataclass
class _Eval:
    """The evaluation under way: when it began and its latest batch count."""

    began: float
    done: int = 0
    total: int | None = None
    counted_at: float = 0.0


@dataclass
class RunClock:
    """Apply each event in file order; `elapsed` and `eta` read the clocks at a given time."""

    closed_s: float = 0.0
    """Active time of the engine processes that ended (before a stop and resume, or a crash)."""
    attempt_start: float | None = None
    attempt_events: int = 0
    last_time: float | None = None
    ended_s: float | None = None
    """The newest process's own count of its time, once it wrote `finished`."""
    step: int = 0
    total_steps: int = 0
    eval_every: int | None = None
    eval_share: float | None = None
    """Eval rows over train rows, to estimate an evaluation before one is measured."""
    steps_per_epoch: int | None = None
    train_s: float = 0.0
    train_steps: int = 0
    """Training time measured over step intervals with no pause between, and the steps it covers."""
    engine_step_s: float | None = None
    """The engine's own average (its ETA over the steps left), used until an interval is measured."""
    step_time: float | None = None
    paused: bool = False
    """An evaluation or a save happened since the last step event: the next interval is not training time."""
    evaluation: _Eval | None = None
    eval_seconds: list[float] = field(default_factory=list)

    def apply(self, event: Event) -> None:
        if self._new_process(event):
            self._close_attempt()
            self.attempt_start = event.time
        elif self.attempt_start is None:
            self.attempt_start = event.time
        self.attempt_events += 1
        self.last_time = event.time
        if isinstance(event, StartedEvent):
            self._started(event)
        elif isinstance(event, StepEvent):
            self._stepped(event)
        elif isinstance(event, PhaseEvent):
            self._phase(event)
        elif isinstance(event, EvalEvent):
            if self.evaluation is not None:
                self.eval_seconds.append(event.time - self.evaluation.began)
            self.evaluation = None
        elif isinstance(event, FinishedEvent):
            self.ended_s = event.elapsed_s
            self.evaluation = None

    def _new_process(self, event: Event) -> bool:
        """After a `finished` event anything is a new process's; so is a `starting` phase that is not the
        process's first event (the one before died without a `finished`)."""
        if self.attempt_start is None:
            return False
        if self.ended_s is not None:
            return True
        return isinstance(event, PhaseEvent) and event.phase == "starting" and self.attempt_events > 0

    def _close_attempt(self) -> None:
        assert self.attempt_start is not None and self.last_time is not None
        self.closed_s += self.ended_s if self.ended_s is not None else self.last_time - self.attempt_start
        self.ended_s = None
        self.attempt_events = 0
        self.step_time = None
        self.evaluation = None

    def _started(self, event: StartedEvent) -> None:
        self.total_steps = event.total_steps
        self.eval_every = event.eval_every
        train_rows, eval_rows = event.dataset.get("train_rows"), event.dataset.get("eval_rows")
        if isinstance(train_rows, int) and isinstance(eval_rows, int) and train_rows > 0:
            self.eval_share = eval_rows / train_rows
        else:
            self.eval_share = None
        per_epoch = event.dataset.get("steps_per_epoch")
        self.steps_per_epoch = per_epoch if isinstance(per_epoch, int) and per_epoch > 0 else None
        self.step_time, self.paused = None, False  # the first interval of a process includes its loading

    def _stepped(self, event: StepEvent) -> None:
        if self.step_time is not None and not self.paused and event.step > self.step:
            self.train_s += event.time - self.step_time
            self.train_steps += event.step - self.step
        left = event.total_steps - event.step
        if event.eta_s is not None and left > 0:
            self.engine_step_s = event.eta_s / left
        self.step, self.total_steps, self.step_time, self.paused = event.step, event.total_steps, event.time, False

    def _phase(self, event: PhaseEvent) -> None:
        if event.phase == "evaluating":
            self.paused = True
            if self.evaluation is None:
                self.evaluation = _Eval(began=event.time)
            if event.current:
                self.evaluation.done, self.evaluation.total = event.current, event.total
                self.evaluation.counted_at = event.time
            return
        self.evaluation = None
        if event.phase == "saving":
            self.paused = True
        elif event.phase == "training" and self.step_time is not None:
            self.step_time, self.paused = event.time, False  # training again: the next interval counts from here

    def elapsed(self, now: float | None) -> float | None:
        """Seconds of active time: the processes that ended plus the newest one, counted to `now` while it is live
        (None: it is not, so to its last event)."""
        if self.attempt_start is None:
            return None
        if self.ended_s is not None:
            return self.closed_s + self.ended_s
        until = now if now is not None else self.last_time
        return self.closed_s + max(0.0, (until or self.attempt_start) - self.attempt_start)

    def step_seconds(self) -> float | None:
        """Training seconds per step: measured when an interval was, else the engine's average."""
        return self.train_s / self.train_steps if self.train_steps else self.engine_step_s

    def eval_seconds_each(self) -> float | None:
        """How long one evaluation takes: the mean of those measured, else the estimate from the split sizes."""
        if self.eval_seconds:
            return sum(self.eval_seconds) / len(self.eval_seconds)
        per_step = self.step_seconds()
        if per_step is None or self.eval_share is None or self.steps_per_epoch is None:
            return None
        return per_step * self.steps_per_epoch * self.eval_share * FORWARD_SHARE

    def evals_left(self) -> int:
        """Evaluations after the current step: every `eval_every` steps, and one after the last step when it is
        not one of those (the Trainer evaluates at the end)."""
        every, total = self.eval_every, self.total_steps
        if not every or self.step >= total:
            return 0
        scheduled = total // every - self.step // every
        return scheduled + (1 if total % every else 0)

    def eta(self, now: float) -> float | None:
        """Seconds to the end of the run: training steps left, evaluations to come and the one under way."""
        per_step = self.step_seconds()
        if self.step_time is None or per_step is None:
            return None
        counting = not self.paused and self.evaluation is None  # a pause is not training time
        since = max(0.0, now - self.step_time) if counting else 0.0
        left = max(0.0, per_step * (self.total_steps - self.step) - since)
        evals = self.evals_left()
        if evals:
            each = self.eval_seconds_each()
            left += evals * each if each is not None else 0.0
        under_way = self._eval_under_way(now)
        return left + (under_way or 0.0)

    def _eval_under_way(self, now: float) -> float | None:
        """What is left of the evaluation under way: from its own pace once a batch is done, else its usual
        length; None when neither is known."""
        evaluation = self.evaluation
        if evaluation is None:
            return None
        if evaluation.done and evaluation.total:
            pace = (evaluation.counted_at - evaluation.began) / evaluation.done
            return max(0.0, pace * (evaluation.total - evaluation.done) - (now - evaluation.counted_at))
        each = self.eval_seconds_each()
        return None if each is None else max(0.0, each - (now - evaluation.began))
