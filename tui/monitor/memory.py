"""Memory over a run against the device's total, and the one warning when it comes near it (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import StepEvent
from engine.wording import gib
from tui.monitor.series import BinnedSeries

WARN_SHARE = 0.9
"""Warn when the peak reaches this share of the device's memory: within 10% of the limit."""


@dataclass
class MemoryTrack:
    """GiB by step: the peak that limits the run, the process's resident memory now, and GPU memory reserved."""

    total_mb: float | None = None
    """The device's memory, from the started event (None for runs written before it was recorded)."""
    peak: BinnedSeries = field(default_factory=BinnedSeries)
    resident: BinnedSeries = field(default_factory=BinnedSeries)
    reserved: BinnedSeries = field(default_factory=BinnedSeries)
    warned: bool = False

    def add(self, event: StepEvent) -> str | None:
        """Record a step's readings; the warning line, the first time the peak is within 10% of the total."""
        if event.memory_mb is not None:
            self.peak.append(event.step, event.memory_mb / 1024)
        if event.rss_mb is not None:
            self.resident.append(event.step, event.rss_mb / 1024)
        if event.gpus:
            self.reserved.append(event.step, max(gpu.reserved_mb for gpu in event.gpus) / 1024)
        if self.warned or self.share is None or self.share < WARN_SHARE:
            return None
        self.warned = True
        return f"memory: {self.describe()}, within 10% of the limit; the run may stop with out of memory"

    @property
    def last_peak_mb(self) -> float | None:
        last = self.peak.last
        return None if last is None else last[1] * 1024

    @property
    def share(self) -> float | None:
        """The peak as a share of the device's total."""
        peak = self.last_peak_mb
        return None if peak is None or not self.total_mb else peak / self.total_mb

    @property
    def near_limit(self) -> bool:
        return self.share is not None and self.share >= WARN_SHARE

    def describe(self) -> str:
        """`peak 1.7 GiB of 24.0 GiB (7%)`."""
        peak, total = self.last_peak_mb, self.total_mb
        if peak is None:
            return "no reading yet"
        if not total:
            return f"peak {gib(peak / 1024)}"
        return f"peak {gib(peak / 1024)} of {gib(total / 1024)} ({peak / total:.0%})"

    def limit_line(self) -> BinnedSeries:
        """The total as a flat line over the steps so far, drawn with the readings."""
        line = BinnedSeries()
        last = self.peak.last
        if self.total_mb and last is not None:
            line.append(0, self.total_mb / 1024)
            line.append(max(last[0], 1), self.total_mb / 1024)
        return line
