"""Driving the monitor in pilot tests: wait for the tail to catch up, without fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from tui.monitor.screens import MonitorScreen

FROZEN_NOW = 1_750_000_300.0
"""The clock the snapshots see: shortly after the recorded runs' last events."""


async def until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the app run until the condition holds; fails instead of hanging when a run never gets there."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the monitor did not reach the expected state in time")
        await asyncio.sleep(0.05)
        await pilot.pause()


async def settle(pilot: Pilot, events: int) -> MonitorScreen:
    """Wait until the screen applied `events` events and its panels show them (the redraw timer catches up with
    the newest points within half a second)."""
    screen = pilot.app.screen
    assert isinstance(screen, MonitorScreen)
    await until(
        pilot,
        lambda: screen.model.status.events_seen >= events and screen.watcher.state != "starting" and screen.up_to_date,
    )
    await pilot.pause()
    return screen
