"""Modal dialogs: a question with buttons, a one-line text prompt, a path picker and the keyboard help."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Markdown, Static
from textual.widgets.button import ButtonVariant

from tui.widgets.text_input import InOrderInput

DESTRUCTIVE = ("replace", "discard")
"""Answers that lose something (a file, a run, edits): never the button focused when a dialog opens, so an Enter
pressed a moment too late (or typed ahead) does not answer them."""


class ChoiceDialog(ModalScreen[str]):
    """A question answered by one of a few buttons; Esc answers `cancel`; the first safe answer has the focus."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss('cancel')", "Cancel")]

    def __init__(self, question: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)  # user text: never markup
            with Horizontal(classes="dialog-buttons"):
                for index, (answer, label) in enumerate(self.choices):
                    variant: ButtonVariant = "primary" if index == 0 else "default"
                    yield Button(label, id=f"answer-{answer}", variant=variant, compact=True)

    def on_mount(self) -> None:
        safe = next((answer for answer, _ in self.choices if answer not in DESTRUCTIVE), None)
        if safe is not None:
            self.query_one(f"#answer-{safe}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "answer-cancel").removeprefix("answer-"))


class TextPrompt(ModalScreen[str | None]):
    """One line of text (a file name, a preset name); Enter accepts, Esc cancels with None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, value: str = "", explanation: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.explanation = explanation

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            if self.explanation:
                yield Static(self.explanation, classes="dialog-text", markup=False)
            yield InOrderInput(self.value, id="prompt-input")
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

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

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


HOW_IT_WORKS = """\
# How it works

Each step edits part of one config, the same YAML that `ft-tui train` and axolotl read. Every change is checked
at once: **errors** (✗) block Next until fixed, **warnings** (!) can be accepted by pressing Next, and
**auto-set** values (·) say what the engine will choose for you. Focus any field to see what it means, and
why any finding about it matters, in the panel on the right.
"""

FIELD_KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "in a text box: confirm it and move to the next field; on a button: press it"),
    ("↑ / ↓", "move in a list, a drop-down or the step list; Enter opens the highlighted step"),
    ("Space", "tick a checkbox or pick a radio option"),
)
"""Keys the form's own widgets handle (they have no binding of ours to read them from)."""


KEY_NAMES = {"escape": "Esc", "question_mark": "?", "slash": "/", "shift": "Shift", "ctrl": "Ctrl"}


def key_label(key: str) -> str:
    """`ctrl+n` as `Ctrl+N`, `question_mark` as `?`, `f1` as `F1`: the key as printed on the keyboard."""
    parts = key.split("+")
    *modifiers, last = parts
    if last in KEY_NAMES:
        last = KEY_NAMES[last]
    elif len(last) == 1:
        last = last.upper() if modifiers else last
    else:
        last = last.upper() if last[0] == "f" and last[1:].isdigit() else last.capitalize()
    return "+".join([*(KEY_NAMES.get(m, m.capitalize()) for m in modifiers), last])


def bindings_table(title: str, bindings: Iterable[BindingType], extra: Iterable[tuple[str, str]] = ()) -> str:
    """A Markdown table of `bindings`, keys sharing an action on one row (`F1 / ?  Help`)."""
    rows: dict[tuple[str, str], list[str]] = {}
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)  # BINDINGS may hold (key, action) tuples
        if binding.system or not binding.description:
            continue
        for key in binding.key.split(","):
            rows.setdefault((binding.action, binding.tooltip or binding.description), []).append(key_label(key))
    lines = [f"# {title}", "", "| Key | Does |", "| --- | --- |"]
    lines += [f"| {' / '.join(dict.fromkeys(keys))} | {does} |" for (_, does), keys in rows.items()]
    lines += [f"| {keys} | {does} |" for keys, does in extra]
    return "\n".join(lines) + "\n"


def help_markdown(web: bool = False) -> str:
    """Every key of the wizard and the monitor, read from their BINDINGS so the list cannot drift; `web` adds how
    a browser page differs from a terminal."""
    from textual.screen import Screen

    from tui.app import WizardApp
    from tui.monitor.app import MonitorApp
    from tui.monitor.screens import MonitorScreen
    from tui.monitor.screens.runs import RunsScreen
    from tui.screens.review import ReviewScreen
    from tui.screens.step import StepScreen

    review_only = [binding for binding in ReviewScreen.BINDINGS if binding not in StepScreen.BINDINGS]
    sections = [
        bindings_table("Keys everywhere", [*WizardApp.BINDINGS, *Screen.BINDINGS]),
        bindings_table("Keys on a wizard step", StepScreen.BINDINGS, FIELD_KEYS),
        bindings_table("Keys on the Review step", review_only),
        bindings_table("Keys in the run monitor", [*MonitorScreen.BINDINGS, *MonitorApp.BINDINGS]),
        bindings_table("Keys in the list of runs", RunsScreen.BINDINGS),
        HOW_IT_WORKS,
    ]
    if web:
        from tui.web.help import BROWSER_HELP

        sections.insert(0, BROWSER_HELP)
    return "\n".join(sections)


class HelpDialog(ModalScreen[None]):
    """Every key of the wizard and the monitor, scrollable, so it fits any terminal."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("question_mark", "dismiss(None)", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-tall"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(help_markdown(web=self.app.is_web))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
