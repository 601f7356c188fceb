"""Ctrl-C and SIGTERM: ask the running Trainer to save a checkpoint and stop at the end of the current step."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Turns the first Ctrl-C / SIGTERM into a request the training loop honours after its current step.

    Before the loop runs (data preparation, model loading) there is nothing to save, so a signal interrupts at once
    with KeyboardInterrupt. During training the first signal is remembered and the step finishes, so the checkpoint
    is consistent; a second Ctrl-C means "now" and interrupts without saving.
    """

    def __init__(self, on_request: Callable[[str], None] | None = None) -> None:
        self.requested = False
        self.reason = ""
        self.failed = False
        """True when the stop is a failure (the loss watchdog), not the user's choice."""
        self.save = True
        """Save a checkpoint before stopping (not when the weights are already ruined by a non-finite loss)."""
        self.in_training = False
        self.on_request = on_request
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        """Only the main thread may set handlers; elsewhere (a test runner thread) signals keep their defaults."""
        try:
            for sig in STOP_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        except ValueError:
            self._previous.clear()

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def request(self, reason: str, *, failed: bool = False, save: bool = True) -> None:
        """Ask for a graceful stop (also used by the loss watchdog, tests, and front ends running in-process)."""
        if self.requested:
            return
        self.requested = True
        self.reason = reason
        self.failed = failed
        self.save = save
        if self.on_request is not None:
            self.on_request(reason)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self.in_training or (self.requested and signum == signal.SIGINT):
            raise KeyboardInterrupt(name)
        self.request(f"{name} received")

    def __enter__(self) -> StopRequest:
        self.install()
        return self

    def __exit__(self, *_: object) -> None:
        self.uninstall()
