"""`ft-tui monitor [RUN_DIR]`: the monitor as its own app, opening one run or the runs list."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.monitor.screens import MonitorScreen, RunsScreen


class MonitorApp(App[Path | None]):
    """Exits with a config path when the user asks for a new run from it, else with None."""

    TITLE = "ft-tui monitor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
    ]

    def __init__(self, run_dir: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.clock = clock
        self.goodbye: str | None = None
        """Printed after the app closes: that a live run goes on and how to re-attach."""

    async def action_quit(self) -> None:
        from tui.monitor.actions import still_running_note

        self.goodbye = still_running_note(self.screen_stack)
        self.exit(None)

    def get_default_screen(self) -> Screen[Any]:
        if self.run_dir is None:
            return RunsScreen(clock=self.clock)
        return MonitorScreen(self.run_dir, clock=self.clock)

    def on_monitor_screen_new_run_requested(self, message: MonitorScreen.NewRunRequested) -> None:
        self.exit(message.config_path)


def run_monitor(run_dir: Path | None) -> int:
    """Quitting the monitor never stops the run: the engine runs detached and the monitor only reads its files."""
    app = MonitorApp(run_dir)
    config = app.run()
    if app.goodbye:
        print(app.goodbye)
    if config is None:
        return 0
    from tui.app import run_wizard

    return run_wizard(None, config, new_run=True)
