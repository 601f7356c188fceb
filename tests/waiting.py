"""Tests wait for a condition, never for a fixed time: one polling loop that says what it waited for when it gives up.

The timeout only bounds a wait that would otherwise hang (a run that never gets there); no test asserts on speed.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel

from engine.events import read_events

T = TypeVar("T")
E = TypeVar("E", bound=BaseModel)
POLL_S = 0.05
"""How often the condition is looked at again."""


def wait_until(
    condition: Callable[[], T], *, what: str, timeout: float = 120, process: subprocess.Popen[Any] | None = None
) -> T:
    """Poll `condition` until it returns something truthy, and return that.

    Fails naming `what` when `timeout` seconds pass, or as soon as `process` (the one expected to bring the
    condition about) has ended without it, showing the end of its stderr.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if process is not None and process.poll() is not None:
            pytest.fail(f"the process ended (exit {process.returncode}) before {what}:\n{_stderr(process)}")
        if time.monotonic() >= deadline:
            pytest.fail(f"no {what} within {timeout:g} s")
        time.sleep(POLL_S)


def has_event(events_file: Path, kind: type[E], match: Callable[[E], bool] | None = None) -> bool:
    """Whether a run's events file holds an event of `kind` (that `match` accepts); False before the file exists."""
    if not events_file.exists():
        return False
    return any(isinstance(e, kind) and (match is None or match(e)) for e in read_events(events_file))


def _stderr(process: subprocess.Popen[Any]) -> str:
    if process.stderr is None:
        return "(stderr not captured)"
    text = process.communicate(timeout=30)[1] or ""
    return (text if isinstance(text, str) else text.decode(errors="replace"))[-3000:]
