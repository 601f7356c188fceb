"""The list of wizard steps down the left edge: where you are, which steps have problems, and a way to jump."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.state import STEPS

MARKS = {"ok": "✓", "error": "✗", "warning": "!", "checking": "…", "": " "}
SHORT_TITLES = {"sequence": "Sequence", "review": "Review"}
"""Sidebar names that fit a narrow terminal on one line; the step's own heading keeps the full title."""


class StepList(OptionList):
    """Steps with a mark each (✓ fine, ✗ errors, ! warnings, … data still being checked); Enter or a click jumps
    to the highlighted step."""

    DEFAULT_CSS = """
    StepList { width: 25; height: 1fr; border: tall $panel; padding: 0; background: $panel; }
    StepList:focus { border: tall $border; }
    """
    """The border is always there, in the panel's own colour until the list has focus: a border that appears on
    focus would move every step name (and the form beside them)."""

    class Jump(Message):
        def __init__(self, step: str) -> None:
            super().__init__()
            self.step = step

    def __init__(self, current: str, marks: dict[str, str]) -> None:
        super().__init__(*[Option(step_label(step, current, marks), id=step) for step, _ in STEPS], id="steps")
        self.current = current

    def on_mount(self) -> None:
        self.highlighted = next(i for i, (step, _) in enumerate(STEPS) if step == self.current)

    def update_marks(self, marks: dict[str, str]) -> None:
        for step, _ in STEPS:
            self.replace_option_prompt(step, step_label(step, self.current, marks))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id != self.current:
            self.post_message(self.Jump(event.option.id))


def step_label(step: str, current: str, marks: dict[str, str]) -> str:
    """`▶2 Dataset ✓`: a pointer on the current step, the number, the title and the step's mark."""
    number = [name for name, _ in STEPS].index(step) + 1
    pointer = "▶" if step == current else " "
    title = SHORT_TITLES.get(step, dict(STEPS)[step])
    return f"{pointer}{number} {title} {MARKS[marks.get(step, '')]}"
