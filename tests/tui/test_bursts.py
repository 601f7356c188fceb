"""Bursts of keys (key repeat, a burst over SSH) and bracketed pastes land in a field exactly as typed, however busy
the screen is: a field never changes under the user's fingers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from textual import events
from textual.widgets import Input

from tests.tui.conftest import opened_at, settle
from tui.app import WizardApp
from tui.screens.step import StepScreen

AppFactory = Callable[..., WizardApp]
BURST = 40
"""Backspaces in a burst: more than the field holds, as a held key does."""


@pytest.fixture
def busy_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every edit costs the UI 50 ms, as re-checking the config does on a loaded 2-core machine; keys arriving
    meanwhile queue up, which is when a late Backspace used to eat the letters typed after it."""
    original = StepScreen.set_timer

    def slow_set_timer(self: StepScreen, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StepScreen, "set_timer", slow_set_timer)


async def send(app: WizardApp, keys: Sequence[str | events.Event], gap: float) -> None:
    """Post keys (or a Paste) to the app as the terminal driver does, `gap` seconds apart (0: all at once)."""
    for key in keys:
        app.post_message(key if isinstance(key, events.Event) else events.Key(key, key if len(key) == 1 else None))
        if gap:
            await asyncio.sleep(gap)


async def replace_text(app: WizardApp, step: str, key: str, new: Sequence[str | events.Event], gap: float) -> Input:
    """On `step`, put the cursor at the end of `key`'s box, send a burst of Backspace and then `new`."""
    box = app.screen.query_one(f"#in-row-{key}", Input)
    box.focus()
    box.cursor_position = len(box.value)
    await send(app, ["backspace"] * BURST + list(new), gap)
    return box


@pytest.mark.parametrize("gap", [0.005, 0.0], ids=["5ms", "at-once"])
@pytest.mark.usefixtures("busy_screen")
async def test_a_typed_model_id_survives_a_burst_of_backspace(make_app: AppFactory, gap: float) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "model") as pilot:
        box = await replace_text(app, "model", "base_model", list("Qwen/Qwen3-0.6B"), gap)
        await settle(pilot)
        assert box.value == "Qwen/Qwen3-0.6B"
        assert app.config.base_model == "Qwen/Qwen3-0.6B"


@pytest.mark.usefixtures("busy_screen")
async def test_a_pasted_model_id_survives_a_burst_of_backspace(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "model") as pilot:
        paste = events.Paste("meta-llama/Llama-3.2-1B-Instruct")
        box = await replace_text(app, "model", "base_model", [paste], 0.005)
        await settle(pilot)
        assert box.value == app.config.base_model == "meta-llama/Llama-3.2-1B-Instruct"


@pytest.mark.parametrize("how", ["typed", "pasted"])
@pytest.mark.usefixtures("busy_screen")
async def test_a_rank_survives_a_burst_of_backspace(make_app: AppFactory, how: str) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "lora") as pilot:
        new: list[str | events.Event] = list("123456789") if how == "typed" else [events.Paste("123456789")]
        box = await replace_text(app, "lora", "lora_r", new, 0.0)  # one read over SSH: the whole burst at once
        await settle(pilot)
        assert box.value == "123456789"
        assert app.config.lora_r == 123456789


async def test_keys_typed_right_after_tab_go_to_the_next_field(make_app) -> None:  # type: ignore[no-untyped-def]
    """Tab and the keys after it arrive in one burst, all queued at the box that had the focus: the text goes
    where the person meant, the next field, not into the one they left (seen in a walk through the wizard at 120x40)."""
    from textual import events
    from textual.widgets import Input

    from tests.tui.conftest import opened_at, settle

    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "lora") as pilot:
        rank = app.screen.query_one("#in-row-lora_r", Input)
        alpha = app.screen.query_one("#in-row-lora_alpha", Input)
        rank.focus()
        await pilot.pause()
        before = rank.value
        burst = [events.Key("tab", None), events.Key("end", None), *(events.Key("backspace", None) for _ in range(4))]
        for event in [*burst, events.Key("6", "6"), events.Paste("4")]:
            rank.post_message(event)
        await settle(pilot)
        assert rank.value == before
        assert app.focused is alpha and alpha.value == "64"
