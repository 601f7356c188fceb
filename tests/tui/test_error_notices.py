"""Screens show an engine error through the one notifier (message, then its fix), and branch on its type, never on
its wording."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from engine.presets import list_presets, load_preset
from tests.tui.conftest import wait_for
from tui.app import WizardApp
from tui.screens.dialogs import ChoiceDialog
from tui.screens.review import ReviewScreen
from tui.screens.start import StartScreen

AppFactory = Callable[..., WizardApp]


def errors_shown(app: WizardApp) -> list[str]:
    return [notice.message for notice in app._notifications if notice.severity == "error"]


@asynccontextmanager
async def on_review(make_app: AppFactory) -> AsyncIterator[tuple[WizardApp, Any]]:
    """The default preset's Review step, running."""
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("review")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        yield app, pilot


async def save_as_preset(pilot: Any, app: WizardApp, name: str) -> None:
    await pilot.click("#save-preset")
    await pilot.pause()
    app.screen.query_one(Input).value = name
    await pilot.press("enter")
    await pilot.pause()


async def test_a_refused_name_whose_message_says_exists_is_not_taken_for_a_taken_name(make_app: AppFactory) -> None:
    """The name is in the refusal ("preset name 'exists!' may use letters, ..."): formerly read as "file exists"."""
    async with on_review(make_app) as (app, pilot):
        await save_as_preset(pilot, app, "exists!")
        assert not isinstance(app.screen, ChoiceDialog)
        assert any("preset name 'exists!' may use letters" in message for message in errors_shown(app))
    assert not any(info.name == "exists!" for info in list_presets())


async def test_a_taken_preset_name_asks_before_replacing_it(make_app: AppFactory) -> None:
    async with on_review(make_app) as (app, pilot):
        await save_as_preset(pilot, app, "mine")
        assert load_preset("mine") == app.config
        await save_as_preset(pilot, app, "mine")
        assert isinstance(app.screen, ChoiceDialog) and "Your preset 'mine' exists" in str(app.screen.question)
        await pilot.click("#answer-replace")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceDialog) and errors_shown(app) == []
        assert any(notice.message.startswith("saved preset mine") for notice in app._notifications)


async def test_a_broken_config_file_shows_its_problem_and_the_fix(make_app: AppFactory, tmp_path: Path) -> None:
    broken = tmp_path / "typo.yml"
    broken.write_text("lora_rr: 8\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
        app.screen._open_file(broken)
        await pilot.pause()
        expected = (
            "line 1: lora_rr: unknown key (did you mean `lora_r`?)\n"
            f"fix: run `ft-tui validate {broken}` for every problem"
        )
        assert errors_shown(app) == [expected]
        status = str(app.screen.query_one("#start-status", Static).render())
        assert status == "✗ line 1: lora_rr: unknown key (did you mean `lora_r`?)"
