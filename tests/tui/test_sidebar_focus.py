"""Focusing the step list changes how it looks, never where anything is (its focus border once
shifted the form and the step names)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.containers import VerticalScroll

from tests.tui.conftest import settle
from tui.app import WizardApp
from tui.widgets.sidebar import StepList


@pytest.mark.parametrize("size", [(80, 24), (100, 32)])
async def test_focusing_the_sidebar_moves_nothing(make_app: Callable[..., WizardApp], size: tuple[int, int]) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=size) as pilot:
        app.goto("lora")
        await settle(pilot)
        steps = app.screen.query_one(StepList)
        form = app.screen.query_one("#form", VerticalScroll)
        before = (form.region, steps.region, steps.content_region)
        steps.focus()
        await pilot.pause()
        assert app.focused is steps
        assert (form.region, steps.region, steps.content_region) == before
