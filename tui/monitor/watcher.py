"""Tailing a run folder in an async worker and telling the screen what changed, without flooding its queue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.message import Message
from textual.message_pump import MessagePump

from engine.events import Event, EventTail, StepEvent
from engine.runs import RunState, read_launch
from engine.runs.paths import CONSOLE_FILE, EVENTS_FILE
from engine.runs.registry import run_is_alive
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


class RunWatcher:
    """Owns the tail of one run folder and the model built from it; `watch` loops until cancelled."""

    def __init__(self, run_dir: Path, model: RunModel, clock: Callable[[], float] = time.time) -> None:
        self.run_dir = run_dir
        self.model = model
        self.clock = clock
        self.tail = EventTail(run_dir / EVENTS_FILE)
        self.alive = True
        self.state: RunState = "starting"
        self._checked_at = 0.0
        self._console_shown = False

    async def watch(self, target: MessagePump) -> None:
        while True:
            self.poll_once(await asyncio.to_thread(self.tail.poll), target)
            await asyncio.sleep(POLL_SECONDS)

    def poll_once(self, events: list[Event], target: MessagePump) -> None:
        """Apply one poll's events (read and parsed off the UI thread) and post what changed."""
        last_step: StepEvent | None = None
        for event in events:
            self.model.apply(event)
            if isinstance(event, StepEvent):
                last_step = event
        changed = self._refresh_state() or any(not isinstance(event, StepEvent) for event in events)
        if last_step is not None:
            target.post_message(StepReceived(last_step))
        if changed:
            target.post_message(RunChanged())

    def _refresh_state(self) -> bool:
        now = time.monotonic()
        was_alive = self.alive
        if now - self._checked_at >= LIVENESS_SECONDS:
            self._checked_at = now
            self.alive = process_alive(self.run_dir, self.model)
            if was_alive and not self.alive:
                # The engine may have written its last lines (an error, finished) between our read and its exit;
                # read them before judging how it ended.
                for event in self.tail.poll():
                    self.model.apply(event)
        state = self.model.status.state(self.alive)
        changed = state != self.state or was_alive != self.alive
        self.state = state
        if state == "failed" and self.model.status.finished is None and not self._console_shown:
            self._console_shown = True
            self.model.add_console_lines(console_tail(self.run_dir), self.clock())
        if state != "failed":
            self._console_shown = False
        return changed


def process_alive(run_dir: Path, model: RunModel) -> bool:
    """Re-read run.json each time: a resume writes the new engine's pid there."""
    return run_is_alive(read_launch(run_dir), model.status)


def console_tail(run_dir: Path, count: int = CONSOLE_TAIL_LINES) -> list[str]:
    try:
        text = (run_dir / CONSOLE_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-count:]
