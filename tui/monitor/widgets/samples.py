"""The sample answers at one step: prompt, reference, the answer then and the base model's, for each eval row."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.events import SampleAnswer
from tui.monitor.samples import SampleHistory

SIDE_BY_SIDE_FROM = 90
"""The view's width from which the answer and the base answer stand side by side (a 100-column terminal);
narrower (an 80-column one), every part is stacked."""


class SamplesView(Static):
    """Draws `history` at `step` (0: the base model alone); redrawn whole on each change and on resize."""

    DEFAULT_CSS = """
    SamplesView { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = SampleHistory()
        self.step = 0

    def show(self, history: SampleHistory, step: int) -> None:
        self.history, self.step = history, step
        self.update(self._content())

    def on_resize(self) -> None:
        self.update(self._content())

    def _content(self) -> RenderableType:
        event = self.history.at(self.step)
        if event is None:
            return Text("No sample answers yet: they appear before the first step and after each evaluation.", "dim")
        wide = self.size.width >= SIDE_BY_SIDE_FROM
        parts: list[RenderableType] = []
        for number, sample in enumerate(event.samples, start=1):
            parts.append(self._sample(number, sample, wide))
        return Group(*parts)

    def _sample(self, number: int, sample: SampleAnswer, wide: bool) -> RenderableType:
        base = self.history.base_answer(sample) if self.step > 0 else None
        heading = Text.assemble((f"Sample {number}", "bold"), (f"  eval row {sample.row}", "dim"))
        rows: list[RenderableType] = [heading, _labelled("Prompt", sample.prompt, "grey62")]
        rows.append(_labelled("Reference", sample.reference, "green"))
        answer_label = f"Step {self.step}" if self.step > 0 else "Base model"
        if base is None:
            rows.append(_labelled(answer_label, sample.answer, "bright_cyan"))
        elif wide:
            rows.append(_side_by_side(answer_label, sample.answer, base))
        else:
            rows.append(_labelled(answer_label, sample.answer, "bright_cyan"))
            rows.append(_labelled("Base model", base, "bright_magenta"))
        rows.append(Text(""))
        return Group(*rows)


def _labelled(label: str, text: str, style: str) -> Table:
    """A label column and the text, wrapped beside it."""
    table = Table.grid(padding=(0, 1))
    table.add_column(width=11, no_wrap=True)
    table.add_column(ratio=1)
    table.add_row(Text(label, style=f"bold {style}"), Text(text or "(empty)", style="" if text else "dim"))
    return table


def _side_by_side(label: str, answer: str, base: str) -> Table:
    table = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
    table.add_column(Text(label, style="bold bright_cyan"), ratio=1)
    table.add_column(Text("Base model", style="bold bright_magenta"), ratio=1)
    table.add_row(Text(answer or "(empty)"), Text(base or "(empty)"))
    return table
