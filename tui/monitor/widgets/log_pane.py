"""The engine's log: level colours, a level filter and a search box, following the tail unless scrolled up."""

from __future__ import annotations

from typing import ClassVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Log

from tui.monitor.model import LogLine

LEVELS = ("all", "info", "warning", "error")
"""The level filter cycles through these: each shows its level and the more severe ones."""
_RANK = {"debug": 0, "info": 1, "console": 1, "warning": 2, "error": 3}
_LEVEL_STYLES = {"DEBUG": "dim", "INFO": "cyan", "CONSOLE": "magenta", "WARNING": "yellow bold", "ERROR": "red bold"}


class LevelHighlighter(Highlighter):
    """Colours the level word of each line and marks the search text wherever it occurs."""

    def __init__(self) -> None:
        self.search = ""

    def highlight(self, text: Text) -> None:
        word = text.plain[9:17].strip()
        if word in _LEVEL_STYLES:
            text.stylize(_LEVEL_STYLES[word], 9, 9 + len(word))
        text.stylize("dim", 0, 8)
        if self.search:
            text.highlight_words([self.search], style="reverse", case_sensitive=False)


def matches(line: LogLine, level: str, search: str) -> bool:
    """The level filter, then the search over the line as shown (time, level word and text): a search for `warn`
    finds the WARNING lines, as the highlight marks the word there."""
    if level != "all" and _RANK.get(line.level, 1) < _RANK[level]:
        return False
    return not search or search.lower() in line.render().lower()


CONTINUATION = " " * 17
"""Under the text of a wrapped line: past `HH:MM:SS LEVEL   `."""


def wrap_log_line(text: str, width: int) -> list[str]:
    """A log line in pieces of at most `width` characters, continued under its text; unwrapped while the width
    is not known yet (before the first layout)."""
    if width <= len(CONTINUATION) + 10 or len(text) <= width:
        return [text]
    import textwrap

    return textwrap.wrap(
        text, width, subsequent_indent=CONTINUATION, break_long_words=True, break_on_hyphens=False
    ) or [text]


class FollowLog(Log):
    """A Log that keeps following the tail until the user scrolls up, and again once they scroll to the bottom.

    Log's own auto-scroll only follows while the view sits exactly at the end, which a resize (the summary panel
    appearing) silently breaks; here only the user's scrolling changes whether we follow.
    """

    follow = True

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.follow = new_value >= self.max_scroll_y

    def append(self, lines: list[str]) -> None:
        follow = self.follow
        self.write_lines(lines, scroll_end=False)
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False)


class SearchInput(Input):
    """Esc leaves the search box for the log (the text stays, so the filter stays)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back to the log", show=False),
    ]

    def action_leave(self) -> None:
        self.screen.query_one(FollowLog).focus()


class LogPane(Vertical):
    """Shows the model's log lines that pass the filter; `sync(lines)` appends what is new since the last call."""

    DEFAULT_CSS = """
    LogPane { height: 1fr; }
    LogPane > Horizontal { height: 1; }
    LogPane #log-search { width: 1fr; height: 1; border: none; padding: 0 1; }
    LogPane #log-level { width: auto; padding: 0 1; }
    LogPane Log { height: 1fr; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level = "all"
        self.search = ""
        self._shown = 0
        self._lines: list[LogLine] = []
        self._highlighter = LevelHighlighter()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield SearchInput(placeholder="/ search the log", id="log-search")
            yield Label(self._level_label(), id="log-level")
        log = FollowLog(highlight=True, max_lines=20_000, id="log")
        log.highlighter = self._highlighter
        yield log

    def sync(self, lines: list[LogLine]) -> None:
        """Append the lines added since the last call; a new list (a fresh run replaced an earlier one's log) is
        shown from scratch."""
        if lines is not self._lines:
            self._lines, self._shown = lines, len(lines)
            self._refilter()
            return
        new = lines[self._shown :]
        self._shown = len(lines)
        visible = self._rendered(new)
        if visible:
            self.query_one(FollowLog).append(visible)

    def _rendered(self, lines: list[LogLine]) -> list[str]:
        """The lines that pass the filter, wrapped to the log's width (the Log widget would cut them)."""
        width = self.query_one(FollowLog).scrollable_content_region.width
        shown = [line.render() for line in lines if matches(line, self.level, self.search)]
        return [part for text in shown for part in wrap_log_line(text, width)]

    def on_resize(self) -> None:
        self._refilter()

    def cycle_level(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.query_one("#log-level", Label).update(self._level_label())
        self._refilter()

    def focus_search(self) -> None:
        self.query_one("#log-search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        self._highlighter.search = self.search
        self._refilter()

    def _refilter(self) -> None:
        log = self.query_one(FollowLog)
        log.clear()
        log.follow = True
        log.append(self._rendered(self._lines))

    def _level_label(self) -> str:
        return f"level: {self.level} (l)"
