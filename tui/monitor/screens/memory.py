"""The Memory view: the run's memory by step against the device's total, with the warning near the limit."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.monitor.model import RunModel
from tui.monitor.widgets.chart import Layer, LineChart

REFRESH_SECONDS = 0.5


class MemoryScreen(Screen[None]):
    """Follows the monitor's model: new steps extend the curves while it is shown."""

    DEFAULT_CSS = """
    MemoryScreen #memory-title { height: 1; padding: 0 1; background: $panel; }
    MemoryScreen LineChart { height: 1fr; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("g", "back", "Back", show=False),
    ]

    def __init__(self, model: RunModel) -> None:
        super().__init__()
        self.model = model
        self._drawn = -1

    def compose(self) -> ComposeResult:
        yield Static(id="memory-title")
        yield LineChart("Memory (GiB)", self._layers, y_format="{:.1f}", id="memory-chart")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.redraw)
        self.redraw()

    def redraw(self) -> None:
        if self._drawn == self.model.version:
            return
        self._drawn = self.model.version
        memory = self.model.memory
        style = "bold red" if memory.near_limit else "bold"
        note = "  within 10% of the limit" if memory.near_limit else ""
        self.query_one("#memory-title", Static).update(Text.assemble((f"Memory · {memory.describe()}", style), note))
        self.query_one(LineChart).refresh()

    def _layers(self) -> list[Layer]:
        memory = self.model.memory
        return [
            Layer("limit", memory.limit_line(), "red"),
            Layer("peak", memory.peak, "bright_cyan"),
            Layer("resident now", memory.resident, "green"),
            Layer("GPU reserved", memory.reserved, "yellow"),
        ]

    def action_back(self) -> None:
        self.app.pop_screen()
