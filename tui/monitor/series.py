"""Chart series that stay cheap at any run length: raw points plus a bounded set of min/max/mean bins."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

MAX_BINS = 2048
"""Bins kept per series; when full, neighbours merge and the bin width doubles, so a redraw costs O(MAX_BINS)
whether the run has 100 steps or 10 million."""


@dataclass
class Bin:
    low: float
    high: float
    total: float
    count: int

    def merge(self, other: Bin) -> None:
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.total += other.total
        self.count += other.count

    @property
    def mean(self) -> float:
        return self.total / self.count


@dataclass(frozen=True)
class Column:
    """What one chart column shows: the range of values that fell in it and their mean."""

    low: float
    high: float
    mean: float


class BinnedSeries:
    """Points (x ascending, e.g. steps) kept raw for exactness and binned for drawing.

    A point at an x not after the last one means the run went back (a resume from an earlier checkpoint): the
    points from that x on are dropped and the bins rebuilt, so the curve never zig-zags.
    """

    def __init__(self, max_bins: int = MAX_BINS) -> None:
        self.max_bins = max_bins
        self.xs = array("d")
        self.ys = array("d")
        self.width = 1.0
        self.bins: dict[int, Bin] = {}

    def __len__(self) -> int:
        return len(self.xs)

    def append(self, x: float, y: float) -> None:
        if not math.isfinite(y):
            return
        if self.xs and x <= self.xs[-1]:
            self.truncate(x)
        self.xs.append(x)
        self.ys.append(y)
        self._bin(x, y)

    def truncate(self, x: float) -> None:
        """Drop every point at or after x."""
        keep = next((i for i, value in enumerate(self.xs) if value >= x), len(self.xs))
        xs, ys = self.xs[:keep], self.ys[:keep]
        self.xs, self.ys, self.width, self.bins = array("d"), array("d"), 1.0, {}
        for px, py in zip(xs, ys, strict=True):
            self.xs.append(px)
            self.ys.append(py)
            self._bin(px, py)

    def _bin(self, x: float, y: float) -> None:
        index = int(x // self.width)
        while index >= self.max_bins:
            self._coarsen()
            index = int(x // self.width)
        current = self.bins.get(index)
        if current is None:
            self.bins[index] = Bin(y, y, y, 1)
        else:
            current.merge(Bin(y, y, y, 1))

    def _coarsen(self) -> None:
        merged: dict[int, Bin] = {}
        for index, item in sorted(self.bins.items()):
            target = merged.get(index // 2)
            if target is None:
                merged[index // 2] = Bin(item.low, item.high, item.total, item.count)
            else:
                target.merge(item)
        self.bins = merged
        self.width *= 2

    @property
    def last(self) -> tuple[float, float] | None:
        return (self.xs[-1], self.ys[-1]) if self.xs else None

    def columns(self, count: int, x_max: float) -> list[Column | None]:
        """The series squeezed into `count` equal columns over x in [0, x_max + 1); None where no point falls."""
        gathered: list[Bin | None] = [None] * count
        scale = count / (max(x_max, 0.0) + 1)
        for index, item in self.bins.items():
            column = min(count - 1, max(0, int(index * self.width * scale)))
            slot = gathered[column]
            if slot is None:
                gathered[column] = Bin(item.low, item.high, item.total, item.count)
            else:
                slot.merge(item)
        return [None if item is None else Column(item.low, item.high, item.mean) for item in gathered]

    def value_range(self) -> tuple[float, float] | None:
        if not self.bins:
            return None
        return min(b.low for b in self.bins.values()), max(b.high for b in self.bins.values())


class SmoothedSeries(BinnedSeries):
    """An exponential moving average of the points appended, debiased so the first points are not pulled to 0."""

    _ema: float
    """The last smoothed value before debiasing; set by `_next` from the first point on."""

    def __init__(self, weight: float = 0.9, max_bins: int = MAX_BINS) -> None:
        super().__init__(max_bins)
        self.weight = weight
        self.raw = BinnedSeries(max_bins)

    def append(self, x: float, y: float) -> None:
        if not math.isfinite(y):
            return
        if self.raw.xs and x <= self.raw.xs[-1]:
            self.raw.truncate(x)
            self._recompute()
        self.raw.append(x, y)
        super().append(x, self._next(len(self.raw) - 1))

    def _next(self, index: int) -> float:
        """The debiased EMA at point `index`, extending the previous smoothed value."""
        count = index + 1
        previous = self._ema if index > 0 else 0.0
        self._ema = self.weight * previous + (1 - self.weight) * self.raw.ys[index]
        return self._ema / (1 - self.weight**count)

    def _recompute(self) -> None:
        self.xs, self.ys, self.width, self.bins = array("d"), array("d"), 1.0, {}
        for index, x in enumerate(self.raw.xs):
            BinnedSeries.append(self, x, self._next(index))
