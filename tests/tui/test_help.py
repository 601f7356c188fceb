"""F1 lists every key of the wizard and the monitor, read from their bindings, and scrolls at any size."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Markdown, OptionList

from tui.app import WizardApp
from tui.monitor.screens import MonitorScreen
from tui.screens import STEP_SCREENS
from tui.screens.dialogs import HelpDialog, help_markdown, key_label
from tui.screens.start import StartScreen
from tui.screens.step import StepScreen

AppFactory = Callable[..., WizardApp]


def test_help_names_every_binding_of_the_wizard_and_the_monitor() -> None:
    text = help_markdown()
    every_screen = [screen.BINDINGS for screen in STEP_SCREENS.values()]
    for bindings in (WizardApp.BINDINGS, StepScreen.BINDINGS, MonitorScreen.BINDINGS, *every_screen):
        for binding in bindings:
            for key in binding.key.split(","):
                assert f"| {key_label(key)}" in text or f"/ {key_label(key)}" in text, key
    assert "Ctrl+N" in text and "F1 / ?" in text and "| s | Stop |" in text


async def test_help_scrolls_at_80x24(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpDialog)
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        assert app.screen.query_one(Markdown).size.height > scroll.size.height  # more than fits: it must scroll
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["model"])


@pytest.mark.parametrize("way_back", ["escape", "back-button", "sidebar"])
async def test_arrow_keys_work_on_the_start_screen_after_going_back(make_app: AppFactory, way_back: str) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["model"])
        if way_back == "escape":
            await pilot.press("escape")
        elif way_back == "back-button":
            await pilot.click("#back")
        else:
            app.screen.query_one("#back").focus()
            await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        choices = app.screen.query_one(OptionList)
        before = choices.highlighted
        await pilot.press("down")
        await pilot.pause()
        assert choices.highlighted != before
