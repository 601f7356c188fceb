"""The side panel that explains whatever field has focus: its help text and every rule that concerns it."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from engine.rules import Finding
from tui.state import help_text
from tui.widgets.findings import finding_detail


class HelpPanel(Static):
    """Shows `key`, its docstring from the config model, and the why/fix of findings that name the key."""

    DEFAULT_CSS = """
    HelpPanel { height: auto; padding: 0 1 1 1; }
    """

    def explain(self, key: str | None, findings: list[Finding], intro: str = "") -> None:
        if key is None:
            self.update(Content(intro))
            return
        parts = [Content.assemble((key, "bold $text-accent")), Content(help_text(key) or "No help for this key.")]
        parts += [finding_detail(f) for f in findings if key in f.fields]
        self.update(Content("\n\n").join(parts))
