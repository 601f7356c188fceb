"""Tailing a run folder in an async worker and telling the screen what changed, without flooding its queue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual.message import Message
from textual.message_pump import MessagePump

from engine.events import Event, EventTail, StepEvent
from engine.runs import RunState, read_launch
from engine.runs.paths import CONSOLE_FILE, EVENTS_FILE
from engine.runs.registry import LaunchInfo, run_is_alive
from tui.monitor.model import RunModel

POLL_SECONDS = 0.25
LIVENESS_SECONDS = 1.0
CONSOLE_TAIL_LINES = 15


class StepReceived(Message):
    """The newest step; a newer one replaces it in the queue, so 100+ steps per second never lag the UI.

    The chart data is already in the model when this is posted: replacing the message loses no points.
    """

    def __init__(self, event: StepEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StepReceived)


class RunChanged(Message):
    """Anything else changed (phase, state, log, checkpoints); the screen re-reads the model, so these coalesce too."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunChanged)


@dataclass(frozen=True)
class Liveness:
    """What one liveness check read from disk (in a worker thread): the launch record, whether the engine process
    lives, the events it wrote just before it exited, and its console's last lines when it died without a word."""

    launch: LaunchInfo | None
    alive: bool
    late_events: list[Event]
    console: list[str] | None


class RunWatcher:
    """Owns the tail of one run folder and the model built from it; `watch` loops until cancelled.

    Every disk read (events, run.json, the console log) happens in a thread; the model is changed on the UI
    thread only, so the screen never draws a half-applied poll."""

    def __init__(self, run_dir: Path, model: RunModel, clock: Callable[[], float] = time.time) -> None:
        self.run_dir = run_dir
        self.model = model
        self.clock = clock
        self.tail = EventTail(run_dir / EVENTS_FILE)
        self.alive = True
        self.state: RunState = "starting"
        self.launch: LaunchInfo | None = None
        """The launcher's record (run.json), re-read with each liveness check: a resume writes a new pid there."""
        self._checked_at = 0.0
        self._console_shown = False

    async def watch(self, target: MessagePump) -> None:
        while True:
            self.poll_once(await asyncio.to_thread(self.tail.poll), target)
            if self._liveness_due():  # judged on the status with this poll's events applied
                self.poll_once([], target, await asyncio.to_thread(self._check_process))
            await asyncio.sleep(POLL_SECONDS)

    def _liveness_due(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at < LIVENESS_SECONDS:
            return False
        self._checked_at = now
        return True

    def _check_process(self) -> Liveness:
        """In a worker thread: read run.json and ask whether the engine lives; when it has just exited, the lines
        it wrote between our read and its exit, and (not yet shown) the console's last lines."""
        launch = read_launch(self.run_dir)
        alive = process_alive(launch, self.model)
        late = self.tail.poll() if self.alive and not alive else []
        unexplained = not alive and self.model.status.finished is None and not self._console_shown
        console = console_tail(self.run_dir) if unexplained else None
        return Liveness(launch, alive, late, console)

    def poll_once(self, events: list[Event], target: MessagePump, liveness: Liveness | None = None) -> None:
        """Apply one poll's events and liveness check (read off the UI thread) and post what changed."""
        events = [*events, *(liveness.late_events if liveness else [])]
        last_step: StepEvent | None = None
        for event in events:
            self.model.apply(event)
            if isinstance(event, StepEvent):
                last_step = event
        changed = self._refresh_state(liveness) or any(not isinstance(event, StepEvent) for event in events)
        if last_step is not None:
            target.post_message(StepReceived(last_step))
        if changed:
            target.post_message(RunChanged())

    def _refresh_state(self, liveness: Liveness | None) -> bool:
        was_alive = self.alive
        if liveness is not None:
            self.launch = liveness.launch
            self.alive = liveness.alive
        state = self.model.status.state(self.alive)
        changed = state != self.state or was_alive != self.alive
        self.state = state
        console = liveness.console if liveness is not None else None
        if state == "failed" and self.model.status.finished is None and not self._console_shown and console is not None:
            self._console_shown = True
            self.model.add_console_lines(console, self.clock())
        if state != "failed":
            self._console_shown = False
        return changed


def process_alive(launch: LaunchInfo | None, model: RunModel) -> bool:
    """Whether the run's engine process lives (a resume writes the new engine's pid into run.json)."""
    return run_is_alive(launch, model.status)


def console_tail(run_dir: Path, count: int = CONSOLE_TAIL_LINES) -> list[str]:
    try:
        text = (run_dir / CONSOLE_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-count:]
