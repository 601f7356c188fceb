"""A base_model written as a path that does not exist is an error on the Model step, not a hub id to download."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from tests.tui.conftest import settle
from tests.tui.test_steps import next_button, type_into
from tui.app import WizardApp

AppFactory = Callable[..., WizardApp]


async def test_a_missing_model_folder_is_an_error_not_a_download(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_into(pilot, app, "base_model", "/no/such/model")
        assert "model.folder_missing" in {f.rule_id for f in app.screen.step_findings()}  # type: ignore[attr-defined]
        assert next_button(app).disabled
        facts = str(app.screen.query_one("#model-facts", Static).render())
        assert "no model folder there" in facts and "downloads it" not in facts
        assert not app.screen.query_one("#download").display
