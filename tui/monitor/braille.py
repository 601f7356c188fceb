"""A braille dot canvas: 2x4 dots per terminal cell, so a 60x10 cell chart has 120x40 points of resolution."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tui.monitor.series import Column

_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
"""Bit of the dot at (column 0/1, row 0..3) inside one braille character (U+2800 + bits)."""

Mode = Literal["band", "line"]


@dataclass(frozen=True)
class Trace:
    """One thing to draw: `band` fills each column from its low to its high value (raw noise), `line` joins the
    column means (a smoothed curve, sparse eval points)."""

    columns: list[Column | None]
    style: str
    mode: Mode = "line"


class Canvas:
    """Dots set per trace; each cell keeps the style of the last trace that touched it, so later traces draw on top."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.bits = [[0] * width for _ in range(height)]
        self.styles: list[list[str | None]] = [[None] * width for _ in range(height)]

    @property
    def dots_x(self) -> int:
        return self.width * 2

    @property
    def dots_y(self) -> int:
        return self.height * 4

    def set(self, x: int, y: int, style: str) -> None:
        if 0 <= x < self.dots_x and 0 <= y < self.dots_y:
            row, column = y // 4, x // 2
            self.bits[row][column] |= _DOT_BITS[x % 2][y % 4]
            self.styles[row][column] = style

    def vertical(self, x: int, y0: int, y1: int, style: str) -> None:
        for y in range(min(y0, y1), max(y0, y1) + 1):
            self.set(x, y, style)

    def line(self, x0: int, y0: int, x1: int, y1: int, style: str) -> None:
        """Join two dots with a run of vertical strokes, so steep drops stay connected."""
        span = max(1, x1 - x0)
        previous = y0
        for x in range(x0, x1 + 1):
            y = round(y0 + (y1 - y0) * (x - x0) / span)
            self.vertical(x, previous, y, style)
            previous = y

    def rows(self) -> list[list[tuple[str, str | None]]]:
        """Each cell as (character, style); empty cells are spaces without a style."""
        return [
            [(chr(0x2800 + bits) if bits else " ", style) for bits, style in zip(bit_row, style_row, strict=True)]
            for bit_row, style_row in zip(self.bits, self.styles, strict=True)
        ]


def draw(canvas: Canvas, trace: Trace, y_low: float, y_high: float) -> None:
    """Draw a trace whose columns match the canvas's dot columns, scaled to [y_low, y_high]."""
    span = (y_high - y_low) or 1.0

    def to_y(value: float) -> int:
        return round((y_high - value) / span * (canvas.dots_y - 1))

    previous: tuple[int, int] | None = None
    for x, column in enumerate(trace.columns):
        if column is None:
            continue
        if trace.mode == "band":
            canvas.vertical(x, to_y(column.high), to_y(column.low), trace.style)
            continue
        point = (x, to_y(column.mean))
        if previous is None:
            canvas.set(*point, trace.style)
        else:
            canvas.line(*previous, *point, trace.style)
        previous = point
