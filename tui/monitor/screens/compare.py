"""The Compare screen: two or more runs' loss curves overlaid, one colour a run, and the table of what differs."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from engine.errors import FtTuiError
from engine.runs.compare import Comparison, compare_runs, table_rows
from tui.monitor.series import BinnedSeries
from tui.monitor.widgets.chart import Layer, LineChart
from tui.notify import notify_error
from tui.workers import in_background

RUN_COLOURS = ("bright_cyan", "bright_magenta", "bright_green", "yellow", "bright_blue", "bright_red")
"""One colour a run, in the order the runs were marked; a seventh run reuses the first colour."""


class CompareScreen(Screen[None]):
    """Reads the runs in a worker (long event files stay off the UI thread), then draws them once."""

    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $panel; }
    CompareScreen #compare-charts { height: 12; }
    CompareScreen #compare-charts LineChart { width: 1fr; padding: 0 1; }
    CompareScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]

    def __init__(self, run_dirs: list[Path]) -> None:
        super().__init__()
        self.run_dirs = run_dirs
        self.comparison: Comparison | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Comparing {len(self.run_dirs)} runs…", id="compare-title")
        with Horizontal(id="compare-charts"):
            yield LineChart("Train loss", lambda: self._layers("loss"), id="compare-loss")
            yield LineChart("Eval loss", lambda: self._layers("eval"), id="compare-eval")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="compare-table")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        in_background(self, lambda: compare_runs(self.run_dirs), self._show, self._failed, group="compare")

    def _show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        differing = ", ".join(comparison.differences) or "no config key"
        self.query_one("#compare-title", Static).update(
            f"Comparing {len(comparison.runs)} runs · differ in: {differing}"
        )
        table = self.query_one(DataTable)
        table.add_column("")
        for index, run in enumerate(comparison.runs):
            table.add_column(f"[{_colour(index)}]■[/] {run.name}")
        for label, values in table_rows(comparison):
            table.add_row(label, *values)
        for chart in self.query(LineChart):
            chart.refresh()
        skipped = [run for run in comparison.runs if run.unreadable_lines]
        for run in skipped:
            self.notify(
                f"{run.name}: {run.unreadable_lines} unreadable line(s) of its events were skipped", markup=False
            )

    def _failed(self, error: Exception) -> None:
        self.query_one("#compare-title", Static).update(f"✗ cannot compare: {error}")
        if isinstance(error, FtTuiError):
            notify_error(self, error)

    def _layers(self, curve: str) -> list[Layer]:
        if self.comparison is None:
            return []
        layers = []
        for index, run in enumerate(self.comparison.runs):
            series = BinnedSeries()
            for step, value in run.loss if curve == "loss" else run.eval:
                series.append(step, value)
            layers.append(Layer(run.name, series, _colour(index)))
        return layers

    def action_back(self) -> None:
        self.app.pop_screen()


def _colour(index: int) -> str:
    return RUN_COLOURS[index % len(RUN_COLOURS)]
