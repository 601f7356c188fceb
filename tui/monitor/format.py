"""Short human forms for durations, counts and losses, as the monitor and the runs list print them."""

from __future__ import annotations

import time


def duration(seconds: float | None) -> str:
    """`42s`, `12m 05s`, `3h 04m`; `-` when unknown."""
    if seconds is None or seconds < 0:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def count(value: float) -> str:
    """`950`, `12.3k`, `4.5M`, `1.2B`."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"


def loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def clock_time(timestamp: float | None) -> str:
    """`2025-06-15 16:06` in local time."""
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
