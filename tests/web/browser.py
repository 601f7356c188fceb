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
ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-B]|\x1b[=>78]")
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

    def text(self, since: int = 0) -> str:
        return ESCAPES.sub(b"", bytes(self.received[since:])).decode("utf-8", "replace")

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
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: _receive(tab, frame)))
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


def _receive(tab: Tab, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        tab.received.extend(frame)
