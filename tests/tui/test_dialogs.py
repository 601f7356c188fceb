"""Dialogs offer only what can be done, show every button whole, and open on a safe answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button

from tests.tiny import fake_checkpoint
from tests.tui.test_run import REPO, config_into
from tui.app import WizardApp
from tui.screens.dialogs import ChoiceDialog


def buttons_whole(dialog: ChoiceDialog) -> bool:
    """Every button inside the dialog's box and the screen, so no label is cut."""
    box = dialog.query_one(".dialog").region
    return all(box.contains_region(button.region) for button in dialog.query(Button))


@pytest.mark.parametrize("size", [(80, 24), (100, 32)])
@pytest.mark.parametrize("finished", [True, False])
async def test_a_finished_run_is_not_offered_for_resuming(
    make_app: Callable[..., WizardApp], tmp_path: Path, size: tuple[int, int], finished: bool
) -> None:
    run_dir = tmp_path / "outputs" / "quill"
    fake_checkpoint(run_dir / "checkpoint-5")
    if finished:
        events = (REPO / "tests" / "fixtures" / "events" / "complete.jsonl").read_text(encoding="utf-8")
        (run_dir / "events.jsonl").write_text(events, encoding="utf-8")
    app = make_app(config_path=config_into(tmp_path, run_dir))
    async with app.run_test(size=size) as pilot:
        app.goto("review")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        dialog = app.screen
        state = "completed" if finished else "stopped"
        assert isinstance(dialog, ChoiceDialog) and f"already holds a {state} run" in dialog.question
        answers = [answer for answer, _ in dialog.choices]
        assert answers == (["replace", "cancel"] if finished else ["resume", "replace", "cancel"])
        assert buttons_whole(dialog)
        assert app.focused is not None and app.focused.id == f"answer-{answers[0] if not finished else 'cancel'}"


async def test_the_replace_file_dialog_opens_on_cancel(make_app: Callable[..., WizardApp]) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ChoiceDialog("x.yml exists. Replace it?", [("replace", "Replace"), ("cancel", "Cancel")]))
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "answer-cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ChoiceDialog)


async def test_review_shows_the_header_a_new_file_gets(make_app: Callable[..., WizardApp], tmp_path: Path) -> None:
    """The comment header and the schema line (relative, never this machine's install folder) are on Review too."""
    from textual.widgets import Input

    from tui.screens.dialogs import TextPrompt

    app = make_app("smollm2-135m-lora")
    target = tmp_path / "my-run.yml"
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("review")
        await pilot.pause()
        shown = app.screen.yaml_text.splitlines()  # type: ignore[attr-defined]
        assert shown[0] == "# yaml-language-server: $schema=engine/config/ft-tui.schema.json"  # from the repo root
        assert shown[1] == "# Written by the ft-tui wizard (preset smollm2-135m-lora)."
        assert shown[2] == "# Run it with: ft-tui train config.yml"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        written = target.read_text(encoding="utf-8").splitlines()
        assert written[1] == shown[1] and written[2] == f"# Run it with: ft-tui train {target}"
        assert written[3:] == shown[3:]
