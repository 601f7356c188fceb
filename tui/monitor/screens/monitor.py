"""The monitor screen: one run's state, progress, curves, log and checkpoints, with stop, resume and next steps."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from engine.errors import FtTuiError, one_line
from engine.runs import LaunchError, RunControlError, RunState, resume_run, stop_run
from engine.runs.folder import RunFolder
from engine.runs.registry import display_name
from tui.monitor.actions import open_folder, run_config, run_ft_tui
from tui.monitor.drawn import CHART_SECONDS, Drawn
from tui.monitor.model import RunModel
from tui.monitor.screens.dialogs import ConfirmDialog
from tui.monitor.watcher import RunChanged, RunWatcher, StepReceived
from tui.monitor.widgets.chart import Layer, LineChart
from tui.monitor.widgets.log_pane import LogPane
from tui.monitor.widgets.panels import CheckpointList, ProgressPanel, RunHeader, StepBar
from tui.monitor.widgets.summary import SummaryPanel
from tui.notify import notify_error
from tui.workers import in_background, loop_in_background

ENDED: tuple[RunState, ...] = ("finished", "stopped", "failed")
STOP_QUESTION = (
    "Stop this run?\n\nThe engine saves a checkpoint at the end of the current step and exits. "
    "Press r later to resume from it."
)
STATEFUL_ACTIONS = ("stop", "resume", "chat", "merge", "samples", "memory")
"""The footer keys that come and go with the run's state (check_action)."""


class Pending(Enum):
    """An action the user asked for whose effect the run's events do not show yet; its value is what the header
    shows meanwhile."""

    NONE = ""
    STOP = "stopping…"
    RESUME = "resuming…"

    def settled(self, state: RunState, alive: bool, version: int, since: int) -> bool:
        """Whether the run's events show the action done: a stop once the run ended and its engine exited, a
        resume once new events (model `version` past the one at the request, `since`) show it running."""
        if self is Pending.STOP:
            return state in ENDED and not alive
        return version > since and state not in ENDED


def loss_layers(model: RunModel) -> list[Layer]:
    return [
        Layer("raw", model.loss.raw, "grey50", "band"),
        Layer("smoothed", model.loss, "bright_cyan"),
        Layer("eval", model.eval_loss, "bright_magenta"),
    ]


class MonitorScreen(Screen[None]):
    """Watches `run_dir` (live or finished) by tailing its events file; works the same after a TUI restart.

    Styles are DEFAULT_CSS, not a .tcss file, because the wizard pushes this screen inside its own app.
    """

    DEFAULT_CSS = """
    MonitorScreen { layout: vertical; }
    MonitorScreen #charts { height: 13; min-height: 8; }
    MonitorScreen #loss-chart { width: 2fr; padding: 0 1; }
    MonitorScreen #side { width: 1fr; min-width: 30; border-left: vkey $panel; }
    MonitorScreen #lr-chart { height: 1fr; padding: 0 1; }
    MonitorScreen #log-pane { border-top: solid $panel; }
    """
    AUTO_FOCUS = "#log"
    """The log, not the search box, so single-key bindings (s, r, c, ...) work at once."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop", "Stop"),
        Binding("r", "resume", "Resume"),
        Binding("c", "chat", "Chat"),
        Binding("m", "merge", "Merge"),
        Binding("e", "export", "Export"),
        Binding("o", "open", "Open folder"),
        Binding("n", "new", "New run"),
        Binding("a", "samples", "Samples"),
        Binding("g", "memory", "Memory"),
        # The log pane's own header shows these two keys; the footer keeps its width for the ones that change.
        Binding("slash", "search", "Search log", show=False),
        Binding("l", "level", "Log level", show=False),
        Binding("escape", "back", "Back"),
    ]

    class NewRunRequested(Message):
        """The user wants a new run from this run's config; the app decides how (the wizard opens on it)."""

        def __init__(self, config_path: Path) -> None:
            super().__init__()
            self.config_path = config_path

    def __init__(self, run_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.run_dir = run_dir.resolve()
        self.clock = clock
        self.model = RunModel()
        self.watcher = RunWatcher(self.run_dir, self.model, clock)
        self.pending = Pending.NONE
        self._pending_version = 0
        self.reader_error: str | None = None
        """Why the tail stopped (a failed read of the run folder); shown instead of a monitor that stops moving."""
        self._drawn = Drawn()

    def compose(self) -> ComposeResult:
        yield RunHeader(id="run-header")
        yield StepBar(show_eta=False, id="step-bar")
        yield ProgressPanel(id="progress")
        with Horizontal(id="charts"):
            yield LineChart("Loss", lambda: loss_layers(self.model), id="loss-chart")
            with Vertical(id="side"):
                yield LineChart(
                    "Learning rate",
                    lambda: [Layer("lr", self.model.learning_rate, "green")],
                    y_format="{:.1e}",
                    y_includes=lambda: self.model.peak_learning_rate,
                    id="lr-chart",
                )
                yield CheckpointList(id="checkpoints")
        yield SummaryPanel(id="summary")
        yield LogPane(id="log-pane")
        yield Footer(show_command_palette=False, compact=True)  # every key fits at 80 columns

    def on_mount(self) -> None:
        loop_in_background(self, lambda: self.watcher.watch(self), self._reader_failed, group="tail")
        self.set_interval(CHART_SECONDS, self.redraw)
        self.redraw()

    # --- updates: every message ends in the one redraw ------------------------------------------------------

    @property
    def state(self) -> RunState:
        return self.watcher.state

    @on(StepReceived)
    def _on_step(self) -> None:
        self.redraw()

    @on(RunChanged)
    def _on_run_changed(self) -> None:
        watcher = self.watcher
        if self.pending.settled(self.state, watcher.alive, self.model.version, self._pending_version):
            self.pending = Pending.NONE
        self.redraw()

    def _reader_failed(self, error: Exception) -> None:
        """The tail worker ended with an error: say so (header and log) instead of a monitor frozen in silence."""
        self.reader_error = f"{type(error).__name__}: {error}"
        self.model.add_error(f"the monitor stopped reading {self.run_dir}: {self.reader_error}", self.clock())
        self.redraw()

    def _shown(self) -> tuple[object, ...]:
        """Everything the panels are drawn from, besides the clock."""
        watcher = self.watcher
        return (self.model.version, self.state, self.pending, watcher.alive, watcher.launch, self.reader_error)

    @property
    def up_to_date(self) -> bool:
        """True when every panel shows the model as it is now (what a test waits for instead of a fixed time)."""
        return self._drawn.shown == self._shown()

    def redraw(self) -> None:
        """The one place the screen draws. Header, step bar and progress every time (their clocks move); charts,
        checkpoints, summary and log when what they show changed, at most every CHART_SECONDS while only new
        points arrive, at once when the state or the pending action changed."""
        self._show_progress()
        if not self._drawn.due(self._shown(), time.monotonic()):
            return
        self.query_one("#loss-chart", LineChart).refresh()
        self.query_one("#lr-chart", LineChart).refresh()
        self.query_one(CheckpointList).show(self.run_dir)
        self.query_one(SummaryPanel).show(self.model, self.state, self.run_dir, self.check_action("resume", ()) is True)
        self.query_one(LogPane).sync(self.model.log)
        if self._drawn.keys_changed(tuple(self.check_action(action, ()) for action in STATEFUL_ACTIONS)):
            self.refresh_bindings()

    def _show_progress(self) -> None:
        launch = self.watcher.launch
        name = display_name(self.run_dir, launch, self.model.status)
        model_name = self.model.status.model or (launch.model if launch else "")
        note = "✗ not updating" if self.reader_error else self.pending.value
        self.query_one(RunHeader).show(self.model, self.state, name, model_name, note)
        self.query_one(StepBar).show(self.model, self.state)
        stopping = self.pending is Pending.STOP
        self.query_one(ProgressPanel).show(self.model, self.state, self.clock(), stopping=stopping)

    # --- actions ------------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer keys follow the state: Stop while live, Resume after a stop or crash once the old engine process
        has exited (it writes `finished` a moment before it is gone), Chat and Merge when done."""
        if action == "stop":
            return self.state not in ENDED and self.pending is Pending.NONE
        if action == "resume":
            # A whole checkpoint on disk (the run folder's owner decides), not the last checkpoint event.
            can_resume = self.watcher.launch is not None and RunFolder(self.run_dir).resume_checkpoint() is not None
            resumable = self.state in ("stopped", "failed") and can_resume and not self.watcher.alive
            return resumable and self.pending is Pending.NONE
        if action in ("chat", "merge"):
            return self.state == "finished"
        if action == "samples":
            return bool(self.model.samples)
        if action == "memory":
            return self.model.memory.total_mb is not None
        return True

    def action_stop(self) -> None:
        def answered(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                stop_run(self.run_dir)
            except RunControlError as error:  # it ended meanwhile: nothing to stop, nothing wrong
                notify_error(self, error, severity="warning")
                return
            self.pending = Pending.STOP
            self.redraw()

        self.app.push_screen(ConfirmDialog(STOP_QUESTION, "Stop and save", "Keep training"), answered)

    def action_resume(self) -> None:
        """Starting the engine again may wait for the old process to exit (up to 15 s): a worker does it, and
        the header says resuming… meanwhile."""
        self.pending = Pending.RESUME
        self._pending_version = self.model.version
        self.redraw()

        def resumed(_run_dir: Path) -> None:
            self.watcher.alive = True
            self.redraw()

        def failed(error: Exception) -> None:
            self.pending = Pending.NONE
            self.redraw()
            if not isinstance(error, FtTuiError):
                error = LaunchError(f"could not resume {self.run_dir}: {one_line(error)}")
            notify_error(self, error)

        in_background(self, lambda: resume_run(self.run_dir), resumed, failed, group="resume")

    def action_chat(self) -> None:
        run_ft_tui(self, self.run_dir, self.model.status.output_dir, "chat")

    def action_merge(self) -> None:
        run_ft_tui(self, self.run_dir, self.model.status.output_dir, "merge", wait_for_enter=True)

    def action_export(self) -> None:
        from tui.monitor.screens.export import open_export

        open_export(self, self.run_dir, self.state)

    def action_open(self) -> None:
        if not open_folder(self.run_dir):
            self.app.copy_to_clipboard(str(self.run_dir))
            self.notify(f"Run folder (copied to the clipboard): {self.run_dir}", timeout=10, markup=False)

    def action_new(self) -> None:
        config = run_config(self.run_dir)
        if config is None:
            self.notify(f"{self.run_dir} has no config copy to start from", severity="error", markup=False)
            return
        self.post_message(self.NewRunRequested(config))

    def action_samples(self) -> None:
        from tui.monitor.screens.samples import SamplesScreen

        self.app.push_screen(SamplesScreen(self.model))

    def action_memory(self) -> None:
        from tui.monitor.screens.memory import MemoryScreen

        self.app.push_screen(MemoryScreen(self.model))

    def action_search(self) -> None:
        self.query_one(LogPane).focus_search()

    def action_level(self) -> None:
        self.query_one(LogPane).cycle_level()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()
