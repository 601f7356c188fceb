"""The browser tests' own helpers: the screen rebuilt from the app's output, and no silent skip in CI."""

from __future__ import annotations

import pytest

from tests.web import browser
from tests.web.browser import Screen, find


def test_the_screen_replays_cursor_moves_and_ignores_styles() -> None:
    screen = Screen(12, 3)
    screen.feed("\x1b[2;3H\x1b[1;38;2;255;0;0mStep\x1b[0m 1\x1b[1;1Hab")
    screen.feed("\x1b[2;8H3")  # a later frame redraws one cell
    assert screen.lines() == ["ab          ", "  Step 3    ", "            "]
    assert find(screen.lines(), "Step 3") == (2, 1)
    assert find(screen.lines(), "Step 1") is None


def test_without_chromium_ci_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda _name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        browser.chromium_path()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        browser.chromium_path()
