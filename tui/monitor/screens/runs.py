"""The runs list: every run the launcher started, its state and progress; Enter opens its monitor."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from engine.runs import RunRecord, list_runs
from tui.monitor import format as fmt
from tui.monitor.screens.monitor import MonitorScreen
from tui.monitor.widgets.panels import STATE_STYLES
from tui.workers import in_background

COLUMNS = ("Name", "Model", "State", "Progress", "Last loss", "Started")
EMPTY = "No runs yet. Start one from the wizard (`ft-tui`) or with `ft-tui train CONFIG --detach`."
HINT = "Runs started from the wizard or with --detach. Enter opens one; space marks runs to compare (c)."
READING = "Reading the runs…"
REFRESH_SECONDS = 2.0


class RunsScreen(Screen[None]):
    """Refreshes every two seconds so states and progress stay current while runs train."""

    DEFAULT_CSS = """
    RunsScreen #runs-hint { padding: 0 1; background: $panel; }
    RunsScreen #runs-empty { padding: 1 2; color: $text-muted; }
    RunsScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True),
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("f5", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.records: list[RunRecord] = []
        self.marked: list[Path] = []
        """Runs marked to compare, in the order they were marked (the Compare screen's colours follow it)."""
        self.loaded = False
        """True once the list was read (in a worker) and shown; until then it says it is reading."""

    def compose(self) -> ComposeResult:
        yield Static(HINT, id="runs-hint")
        yield Static(READING, id="runs-empty")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="runs-table")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).display = False
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        """Read the registry and every run's events in a worker: many runs or a slow disk never stall the keys."""
        in_background(self, list_runs, self._show_runs, self._read_failed, group="runs")

    def _read_failed(self, error: Exception) -> None:
        """The list stays as last read; the hint says why it is not current (the next refresh tries again)."""
        self.query_one("#runs-hint", Static).update(f"✗ could not read the runs list: {type(error).__name__}: {error}")

    def _show_runs(self, records: list[RunRecord]) -> None:
        self.query_one("#runs-hint", Static).update(HINT)
        table = self.query_one(DataTable)
        row = table.cursor_row
        self.records = records
        table.clear()
        for record in self.records:
            table.add_row(*_cells(record, record.run_dir in self.marked), key=str(record.run_dir))
        if self.records:
            table.move_cursor(row=min(row, len(self.records) - 1))
        self.query_one("#runs-empty", Static).update(EMPTY)
        self.query_one("#runs-empty").display = not self.records
        table.display = bool(self.records)
        self.loaded = True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.cursor_row)

    def action_open(self) -> None:
        self._open(self.query_one(DataTable).cursor_row)

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.records):
            self.app.push_screen(MonitorScreen(self.records[row].run_dir, clock=self.clock))

    def action_mark(self) -> None:
        row = self.query_one(DataTable).cursor_row
        if not 0 <= row < len(self.records):
            return
        run_dir = self.records[row].run_dir
        self.marked = [d for d in self.marked if d != run_dir] if run_dir in self.marked else [*self.marked, run_dir]
        self._show_runs(self.records)

    def action_compare(self) -> None:
        from tui.monitor.screens.compare import CompareScreen

        if len(self.marked) < 2:
            self.notify("Mark two or more runs with space to compare them", severity="warning")
            return
        self.app.push_screen(CompareScreen(list(self.marked)))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()


def _cells(record: RunRecord, marked: bool = False) -> tuple[str | object, ...]:
    from rich.text import Text

    return (
        f"● {record.name}" if marked else record.name,
        record.model.split("/")[-1] or "-",
        Text(record.state, style=STATE_STYLES.get(record.state, "")),
        record.progress,
        fmt.loss(record.status.last_loss),
        fmt.clock_time(record.started_at),
    )
