"""The side panel that explains whatever field has focus: its help text and every rule that concerns it."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import Static

from engine.rules import Finding
from tui.state import help_text
from tui.widgets.findings import finding_detail

BREAKS = "/-_."
"""Where an id or a path longer than the panel is broken: after these, so each piece reads as part of a name."""


class HelpPanel(Static):
    """Shows `key`, its docstring from the config model, and the why/fix of findings that name the key."""

    DEFAULT_CSS = """
    HelpPanel { height: auto; padding: 0 1 1 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[str | None, list[Finding], str] = (None, [], "")

    def explain(self, key: str | None, findings: list[Finding], intro: str = "") -> None:
        self._shown = (key, findings, intro)
        self._draw()

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()  # the help's own line breaks depend on the width

    def _draw(self) -> None:
        key, findings, intro = self._shown
        if key is None:
            self.update(Content(intro))
            return
        text = help_text(key) or "No help for this key."
        width = self.content_region.width
        if width > 0:
            text = "\n".join(wrap_words(text, width))
        parts = [Content.assemble((key, "bold $text-accent")), Content(text)]
        parts += [finding_detail(f) for f in findings if key in f.fields]
        self.update(Content("\n\n").join(parts))


def wrap_words(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width`, broken between words; a word longer than a line (a hub id, a path) is
    broken after a `/`, `-`, `_` or `.` where one fits, rather than at whatever letter the edge falls on."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            cut = max(word.rfind(mark, 0, width) for mark in BREAKS) + 1 or width
            lines.append(word[:cut])
            word = word[cut:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines
