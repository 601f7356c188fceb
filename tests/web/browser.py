"""A real headless Chromium (the system package) driven by Playwright, reading what the app draws.

The page draws the terminal on a canvas, so the text is read where it arrives: the websocket frames the server
sends (the app's terminal output), with escape sequences removed. Every request leaving 127.0.0.0/8 is aborted
(the page template asks Google Fonts for a font) and recorded.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_URL = re.compile(r"^(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost)(:\d+)?/")
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str:
    """The system Chromium; in CI its absence fails the test (CI installs it), elsewhere it skips with the fix."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        message = (
            "browser tests need the system Chromium and Playwright: apt-get install chromium; pip install -e '.[dev]'"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass
class Tab:
    """One browser tab on `ft-tui serve`: keys in, the app's drawn text out, screenshots."""

    page: Any
    shots: Path
    received: bytearray = field(default_factory=bytearray)
    blocked: list[str] = field(default_factory=list)
    socket_url: str = ""
    terminal: Screen | None = None

    def text(self, since: int = 0) -> str:
        return OTHER_ESCAPE.sub("", bytes(self.received[since:]).decode("utf-8", "replace"))

    def mark(self) -> int:
        """A point in the output; `wait_for(..., since=mark)` ignores what was drawn before it."""
        return len(self.received)

    def wait_for(self, *texts: str, since: int = 0, seconds: float = 60.0) -> None:
        """Wait until the app drew `texts`, in this order (a table's header, then its row), after `since`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if _in_order(self.text(since), texts):
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the page never showed {texts!r}; it last drew:\n{self.text(since)[-3000:]}")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def click_text(self, text: str) -> None:
        """Click the middle of `text` where the screen shows it, as a person would with the mouse, once it stayed
        in place for half a second (a screen still being laid out moves its rows)."""
        place = self._steady_place(text)
        columns, rows = self.size()
        box = self.page.locator(".xterm-screen").bounding_box()
        cell_width, cell_height = box["width"] / columns, box["height"] / rows
        x = box["x"] + (place[0] + len(text) / 2) * cell_width
        self.page.mouse.click(x, box["y"] + (place[1] + 0.5) * cell_height)

    def _steady_place(self, text: str, seconds: float = 30.0) -> tuple[int, int]:
        deadline = time.monotonic() + seconds
        last = None
        while time.monotonic() < deadline:
            place = find(self.screen(), text)
            if place is not None and place == last:
                return place
            last = place
            self.page.wait_for_timeout(500)
        raise AssertionError(f"{text!r} never stayed on the screen:\n" + "\n".join(self.screen()))

    def screen(self) -> list[str]:
        """The screen as the page shows it now."""
        return self.terminal.lines() if self.terminal is not None else []

    def wait_for_screen(self, *parts: str, seconds: float = 60.0) -> None:
        """Wait until one line of the screen shows all of `parts` (a table row: its name, state and progress)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(all(part in line for part in parts) for line in self.screen()):
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no line of the screen showed {parts!r}:\n" + "\n".join(self.screen()))

    def size(self) -> tuple[int, int]:
        """The terminal's columns and rows, as the page told the server (the websocket URL's query)."""
        query = parse_qs(urlsplit(self.socket_url).query)
        return int(query["width"][0]), int(query["height"][0])

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_tab(browser: Any, url: str, shots: Path, ready: str = "Welcome to ft-tui") -> Tab:
    """A new page on `url`, once the app drew `ready` and the terminal has the keyboard focus."""
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=VIEWPORT)
    tab = Tab(page, shots)

    def route(request_route: Any) -> None:
        if LOCAL_URL.match(request_route.request.url):
            request_route.continue_()
        else:
            tab.blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("websocket", lambda socket: _listen(tab, socket))
    page.goto(url)
    tab.wait_for(ready)
    page.locator("textarea.xterm-helper-textarea").focus()
    return tab


def _in_order(text: str, parts: tuple[str, ...]) -> bool:
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _listen(tab: Tab, socket: Any) -> None:
    tab.socket_url = socket.url
    tab.terminal = Screen(*tab.size())
    socket.on("framereceived", lambda frame: _receive(tab, frame))


CURSOR_TO = re.compile(r"\x1b\[(\d+);(\d+)H")
OTHER_ESCAPE = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]|\x1b[=>78]")
TOKEN = re.compile(f"{CURSOR_TO.pattern}|{OTHER_ESCAPE.pattern}|[^\x1b]", re.DOTALL)


@dataclass
class Screen:
    """The terminal's cells as the app's output leaves them. Textual moves the cursor (CSI row;col H) before each
    run of text and draws every cell with one character, so replaying moves and characters is enough; each
    websocket frame is one whole write of the app, so no escape sequence is split between two."""

    columns: int
    rows: int
    cells: list[list[str]] = field(default_factory=list)
    row: int = 0
    column: int = 0

    def __post_init__(self) -> None:
        self.cells = [[" "] * self.columns for _ in range(self.rows)]

    def feed(self, output: str) -> None:
        for match in TOKEN.finditer(output):
            if match.group(1) is not None:
                self.row, self.column = int(match.group(1)) - 1, int(match.group(2)) - 1
            elif not match.group(0).startswith("\x1b") and match.group(0) not in "\r\n":
                if 0 <= self.row < self.rows and 0 <= self.column < self.columns:
                    self.cells[self.row][self.column] = match.group(0)
                self.column += 1

    def lines(self) -> list[str]:
        return ["".join(line) for line in self.cells]


def find(screen: list[str], text: str) -> tuple[int, int] | None:
    """(column, row) of `text` on the screen, None when it is not there."""
    for row, line in enumerate(screen):
        if text in line:
            return line.index(text), row
    return None


def _receive(tab: Tab, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        tab.received.extend(frame)
        if tab.terminal is not None:
            tab.terminal.feed(frame.decode("utf-8", "replace"))
