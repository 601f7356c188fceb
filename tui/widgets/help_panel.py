"""The side panel that explains whatever field has focus: its help text and every rule that concerns it."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widgets import Static

from engine.rules import Finding
from tui.state import help_text
from tui.widgets.findings import finding_detail
from tui.widgets.wrap import wrap_content


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
        parts = [Content.assemble((key, "bold $text-accent")), Content(help_text(key) or "No help for this key.")]
        parts += [finding_detail(f) for f in findings if key in f.fields]
        self.update(wrap_content(Content("\n\n").join(parts), self.content_region.width))
