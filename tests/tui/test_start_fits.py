"""The welcome screen shows every way to start at once at 80x24, the smallest terminal the wizard is made for
(two entries were once hidden below the list's edge)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import OptionList

from tui.app import WizardApp


@pytest.mark.parametrize("size", [(80, 24), (100, 32)])
async def test_every_start_choice_is_visible(make_app: Callable[..., WizardApp], size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        choices = app.screen.query_one("#start-choices", OptionList)
        assert choices.max_scroll_y == 0, (
            f"{choices.virtual_size.height} lines in {choices.scrollable_content_region.height}"
        )
        assert choices.region.bottom <= app.screen.region.bottom - 1  # above the footer
