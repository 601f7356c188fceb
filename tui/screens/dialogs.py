"""Modal dialogs: a question with buttons, a one-line text prompt, a path picker and the keyboard help."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Markdown, Static


class ChoiceDialog(ModalScreen[str]):
    """A question answered by one of a few buttons; Esc answers `cancel`."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "dismiss('cancel')", "Cancel")]  # type: ignore[assignment]

    def __init__(self, question: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                for index, (answer, label) in enumerate(self.choices):
                    variant = "primary" if index == 0 else "default"
                    yield Button(label, id=f"answer-{answer}", variant=variant, compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "answer-cancel").removeprefix("answer-"))


class TextPrompt(ModalScreen[str | None]):
    """One line of text (a file name, a preset name); Enter accepts, Esc cancels with None."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "dismiss(None)", "Cancel")]  # type: ignore[assignment]

    def __init__(self, title: str, value: str = "", explanation: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            if self.explanation:
                yield Static(self.explanation, classes="dialog-text")
            yield Input(self.value, id="prompt-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        value = self.query_one(Input).value.strip()
        self.dismiss(value or None if event.button.id == "ok" else None)


class PathPicker(ModalScreen[Path | None]):
    """Browse folders and files from `start`; Enter on a file (or, for folders, the Choose button) picks it."""

    BINDINGS: ClassVar[list[Binding]] = [Binding("escape", "dismiss(None)", "Cancel")]  # type: ignore[assignment]

    def __init__(self, title: str, start: Path, *, folders: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.start = start if start.is_dir() else Path.cwd()
        self.folders = folders
        self.chosen: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall"):
            yield Static(self.title_text, classes="dialog-title")
            yield DirectoryTree(self.start, id="picker-tree")
            yield Static("", id="picker-choice", classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Choose", id="choose", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if not self.folders:
            self.dismiss(event.path)

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.chosen = event.path
        self.query_one("#picker-choice", Static).update(f"selected: {event.path}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.chosen if event.button.id == "choose" else None)


HELP_TEXT = """\
# Keys

| Key | Does |
| --- | --- |
| Tab / Shift+Tab | next / previous field |
| Enter | confirm a field (and move on), press a button, open a step in the sidebar |
| Ctrl+N / Ctrl+B | next / previous step (also the buttons at the bottom) |
| Esc | previous step; closes dialogs |
| Ctrl+S | save the YAML |
| ? or F1 | this help |
| Ctrl+Q | quit (asks first when there are unsaved changes) |

# How it works

Each step edits part of one config, the same YAML that `ft-tui train` and axolotl read. Every change is checked
at once: **errors** (✗) block Next until fixed, **warnings** (!) can be accepted by pressing Next, and
**auto-set** values (·) say what the engine will choose for you. Focus any field to see what it means, and
why any finding about it matters, in the panel on the right.
"""


class HelpDialog(ModalScreen[None]):
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape", "dismiss(None)", "Close"),
        Binding("question_mark", "dismiss(None)", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall"):
            yield Markdown(HELP_TEXT)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
