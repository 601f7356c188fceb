"""A line chart drawn with braille dots: traces against steps, redrawn in the same time at any run length."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui.monitor.braille import Canvas, Mode, Trace, draw
from tui.monitor.series import BinnedSeries


@dataclass(frozen=True)
class Layer:
    """A series to draw, how, and its legend entry."""

    label: str
    series: BinnedSeries
    style: str
    mode: Mode = "line"


class LineChart(Widget):
    """Shows `layers()` (read at each redraw) on shared axes; call `refresh()` when the data changed."""

    DEFAULT_CSS = """
    LineChart { height: 1fr; min-height: 6; }
    """

    def __init__(
        self,
        title: str,
        layers: Callable[[], list[Layer]],
        *,
        y_format: str = "{:.3f}",
        y_includes: Callable[[], float | None] = lambda: None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.chart_title = title
        self.source = layers
        self.y_format = y_format
        self.y_includes = y_includes
        """A value the y axis always spans (the peak learning rate), so one point at 0 is not drawn on 0-1."""
        self.label_width = 8

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        layers = [layer for layer in self.source() if len(layer.series)]
        if not layers:
            return Text.assemble(self._legend(layers, width), "\n", Text("waiting for the first step…", style="dim"))
        low, high = _y_range(layers, self.y_includes())
        self.label_width = max(len(self.y_format.format(value)) for value in (low, high)) + 2
        plot_width, plot_height = width - self.label_width, height - 2
        if plot_width < 4 or plot_height < 2:
            return self._legend(layers, width)
        x_max = max(layer.series.xs[-1] for layer in layers)
        canvas = Canvas(plot_width, plot_height)
        for layer in layers:
            draw(canvas, Trace(layer.series.columns(canvas.dots_x, x_max), layer.style, layer.mode), low, high)
        return self._assemble(canvas, low, high, x_max, layers)

    def _legend(self, layers: list[Layer], width: int) -> Text:
        """One line, always: without the last values when they do not fit, then cut, never wrapped into the plot."""
        for values in (True, False):
            legend = Text(self.chart_title, style="bold")
            for layer in layers:
                legend.append("  ")
                legend.append("■ ", style=layer.style)
                legend.append(layer.label)
                last = layer.series.last
                if values and last is not None:
                    legend.append(" " + self.y_format.format(last[1]), style="dim")
            if legend.cell_len <= width:
                return legend
        legend.truncate(max(width, 1), overflow="ellipsis")
        return legend

    def _assemble(self, canvas: Canvas, low: float, high: float, x_max: float, layers: list[Layer]) -> Text:
        text = self._legend(layers, self.size.width)
        rows = canvas.rows()
        for index, row in enumerate(rows):
            text.append("\n")
            text.append(self._y_label(index, len(rows), low, high), style="dim")
            for character, style in row:
                text.append(character, style=style or "")
        text.append("\n")
        text.append(_x_axis(canvas.width, x_max, self.label_width), style="dim")
        return text

    def _y_label(self, row: int, rows: int, low: float, high: float) -> str:
        if row == 0:
            label = self.y_format.format(high)
        elif row == rows - 1:
            label = self.y_format.format(low)
        else:
            label = ""
        return f"{label:>{self.label_width - 2}} ┤"


def _y_range(layers: list[Layer], include: float | None = None) -> tuple[float, float]:
    ranges = [r for r in (layer.series.value_range() for layer in layers) if r is not None]
    if include is not None:
        ranges.append((include, include))
    low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
    # Never narrower than 2% of the values' size: a near-flat range (one step, float rounding between the layers)
    # would otherwise draw a single value at the top and at the bottom of the axis.
    pad = max((high - low) * 0.05, abs(high) * 0.01) or 1.0
    floor = 0.0 if low >= 0 else low - pad
    return max(low - pad, floor), high + pad


def _x_axis(width: int, x_max: float, label_width: int) -> str:
    """`step 0 … 60 … 120` under the plot: the start, the middle and the last step, each step named once (at
    step 1 the labels are `0 … 1`, not `0 0 1`)."""
    left, middle, right = "0", f"{x_max / 2:,.0f}", f"{x_max:,.0f}"
    marks = [(0, left), ((width - len(middle)) // 2, middle), (width - len(right), right)]
    if middle in (left, right) or x_max < 2:
        marks.pop(1)
    if right == left:
        marks.pop()
    line = [" "] * width
    for position, label in marks:
        line[position : position + len(label)] = label
    return f"{'step ':>{label_width}}" + "".join(line)
