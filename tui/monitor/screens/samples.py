"""The Samples view: a run's answers to its fixed eval prompts, one evaluation at a time, next to the base model's."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.monitor.model import RunModel
from tui.monitor.widgets.samples import SamplesView

REFRESH_SECONDS = 0.5
"""How often a live run's new answers are looked for (the monitor's model is updated by its own tail)."""


class SamplesScreen(Screen[None]):
    """Pages through the steps that have answers; follows the newest while it is shown, as a live run evaluates."""

    DEFAULT_CSS = """
    SamplesScreen #samples-title { height: 1; padding: 0 1; background: $panel; }
    SamplesScreen #samples-scroll { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "earlier", "Earlier step", priority=True),
        Binding("right", "later", "Later step", priority=True),
        Binding("home", "first", "Base model", priority=True),
        Binding("end", "last", "Newest", priority=True),
        Binding("escape", "back", "Back"),
        Binding("a", "back", "Back", show=False),
    ]

    def __init__(self, model: RunModel) -> None:
        super().__init__()
        self.model = model
        self.step: int | None = None
        """The step shown; None follows the newest."""
        self._drawn: tuple[int, int | None, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="samples-title")
        with VerticalScroll(id="samples-scroll"):
            yield SamplesView(id="samples")
        yield Footer(show_command_palette=False, compact=True)

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.redraw)
        self.redraw()

    @property
    def positions(self) -> list[int]:
        """The steps to move between: the base model (step 0) first when recorded, then each evaluation."""
        history = self.model.samples
        return ([0] if history.base is not None else []) + history.steps

    @property
    def shown_step(self) -> int | None:
        positions = self.positions
        if not positions:
            return None
        return self.step if self.step in positions else positions[-1]

    def redraw(self) -> None:
        step = self.shown_step
        key = (self.model.version, step, self.size.width)
        if key == self._drawn:
            return
        self._drawn = key
        self.query_one("#samples-title", Static).update(self._title(step))
        self.query_one(SamplesView).show(self.model.samples, step or 0)

    def _title(self, step: int | None) -> Text:
        positions = self.positions
        if step is None:
            return Text("Sample answers", style="bold")
        where = "base model (before training)" if step == 0 else f"step {step}"
        evaluations = len(self.model.samples.steps)
        count = f"evaluation {self.model.samples.steps.index(step) + 1} of {evaluations}" if step else ""
        event = self.model.samples.at(step)
        took = f"generated in {event.seconds:.1f} s" if event is not None else ""
        parts = [part for part in (where, count, took) if part]
        following = "  (newest)" if self.step is None and len(positions) > 1 else ""
        return Text.assemble(("Sample answers · ", "bold"), " · ".join(parts), (following, "dim"))

    def _move(self, offset: int) -> None:
        positions, step = self.positions, self.shown_step
        if step is None:
            return
        index = min(max(positions.index(step) + offset, 0), len(positions) - 1)
        self.step = None if index == len(positions) - 1 else positions[index]
        self.redraw()

    def action_earlier(self) -> None:
        self._move(-1)

    def action_later(self) -> None:
        self._move(1)

    def action_first(self) -> None:
        positions = self.positions
        self.step = positions[0] if len(positions) > 1 else None
        self.redraw()

    def action_last(self) -> None:
        self.step = None
        self.redraw()

    def action_back(self) -> None:
        self.app.pop_screen()
