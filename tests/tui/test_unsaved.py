"""Unsaved edits are never thrown away without asking, and nothing counts as an edit that the user did not make:
visiting a step keeps an opened file's empty keys and leaves it saved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, OptionList

from engine.config import config_to_dict
from tests.tui.conftest import settle, wait_for
from tui.app import WizardApp
from tui.screens import STEP_SCREENS
from tui.screens.dialogs import ChoiceDialog, TextPrompt
from tui.screens.start import StartScreen
from tui.state import STEP_IDS

AppFactory = Callable[..., WizardApp]

WITH_EMPTY_KEYS = """\
base_model: HuggingFaceTB/SmolLM2-135M-Instruct
datasets:
  - path: presets/data/ft_tui_persona.jsonl
    type: chat_template
wandb_project:
pad_to_sequence_len:
lora_r: 8
"""


async def test_visiting_every_step_keeps_empty_keys_and_the_file_saved(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "mine.yml"
    path.write_text(WITH_EMPTY_KEYS, encoding="utf-8")
    app = make_app(config_path=path)
    async with app.run_test(size=(100, 32)) as pilot:
        before = config_to_dict(app.config)
        for step in STEP_IDS:
            app.goto(step)
            await wait_for(pilot, lambda step=step: isinstance(app.screen, STEP_SCREENS[step]))
            await settle(pilot)
            assert app.state is not None and not app.state.dirty, f"visiting {step} marked the file unsaved"
            assert config_to_dict(app.config) == before, f"visiting {step} changed the config"
        assert {"wandb_project", "pad_to_sequence_len"} <= app.config.model_fields_set
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceDialog)
    assert app.return_value == 0


async def test_a_preset_opened_and_quit_at_once_does_not_ask(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceDialog)
    assert app.return_value == 0


async def edit_then_pick_a_preset(app: WizardApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Rank 4 typed on the LoRA step, then back to the welcome screen and Enter on the first preset."""
    app.goto("lora")
    await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["lora"]))
    await settle(pilot)
    box = app.screen.query_one("#in-row-lora_r", Input)
    box.focus()
    box.value = ""
    await pilot.press("4")
    await settle(pilot)
    assert app.config.lora_r == 4 and app.state is not None and app.state.dirty
    app.goto("start")
    await wait_for(pilot, lambda: isinstance(app.screen, StartScreen))
    await pilot.pause()
    app.screen.query_one(OptionList).focus()
    await pilot.press("enter")
    await pilot.pause()


async def test_picking_a_preset_over_unsaved_edits_asks_and_cancel_keeps_them(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await edit_then_pick_a_preset(app, pilot)
        assert isinstance(app.screen, ChoiceDialog), "unsaved edits were replaced without asking"
        await pilot.click("#answer-cancel")
        await pilot.pause()
        assert isinstance(app.screen, StartScreen) and app.config.lora_r == 4
        app.screen.query_one(OptionList).focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#answer-discard")
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["model"]))
        await settle(pilot)  # the step mounted whole before the app closes (a half-mounted Header raises)
        assert app.config.lora_r != 4 and app.state is not None and not app.state.dirty


async def test_save_before_picking_a_preset_writes_the_edits(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app("smollm2-135m-lora")
    target = tmp_path / "kept.yml"
    async with app.run_test(size=(100, 32)) as pilot:
        await edit_then_pick_a_preset(app, pilot)
        await pilot.click("#answer-save")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["model"]))
        await settle(pilot)  # the step mounted whole before the app closes (a half-mounted Header raises)
        assert "lora_r: 4" in target.read_text(encoding="utf-8")
        assert app.config.lora_r != 4
