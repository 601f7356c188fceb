"""`settle` waits for the typed value to reach the config, however long the edit debounce takes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.tui.conftest import settle
from tests.tui.test_steps import type_into
from tui.app import WizardApp
from tui.screens import form_edits


async def test_settle_waits_for_the_debounce_not_for_a_fixed_time(
    make_app: Callable[..., WizardApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A debounce far longer than the old fixed 0.2 s wait: the config still holds the typed value after settle."""
    monkeypatch.setattr(form_edits, "EDIT_DEBOUNCE_S", 1.0)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("sequence")
        await pilot.pause()
        await type_into(pilot, app, "sequence_len", "1024")  # type_into ends with settle
        assert app.config.sequence_len == 1024
        assert not app.screen.edits.pending  # type: ignore[attr-defined]
        app.screen.query_one("#in-row-micro_batch_size").value = "3"  # type: ignore[attr-defined]
        await settle(pilot)
        assert app.config.micro_batch_size == 3
