"""SVG snapshots of every wizard screen at 100x32 (and the default step at 80x24, and in the light theme).

Regenerate after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the
SVGs in __snapshots__ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.conftest import edits_applied, wait_for
from tui.app import WizardApp
from tui.screens import STEP_SCREENS

SIZE = (100, 32)


DATA_NUMBERS = {"dataset": "#histogram", "sequence": "#packing-numbers"}
"""Where each data step shows the numbers of the analysed data (empty or a status line until then)."""


def on_step(step: str, *, data: bool = False) -> Callable[[Pilot[Any]], Any]:
    """A run_before that opens `step` and, for the data steps, waits until the data's numbers are on screen;
    then waits for the screen to be still (conditions, not fixed times: a loaded machine only takes longer)."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app: WizardApp = pilot.app  # type: ignore[assignment]
        before = app.screen
        app.goto(step)  # a new screen, even for the step already shown
        await wait_for(pilot, lambda: app.screen is not before and isinstance(app.screen, STEP_SCREENS[step]))
        if data:
            await wait_for(pilot, lambda: data_numbers_shown(app, DATA_NUMBERS[step]))
        await screen_still(pilot)

    return run_before


def data_numbers_shown(app: WizardApp, widget_id: str) -> bool:
    """The analysis finished and the step drew its numbers (more than the one-line status shown until then)."""
    if app.derived.data_facts() is None:
        return False
    return len(str(app.screen.query_one(widget_id, Static).render()).splitlines()) > 1


async def screen_still(pilot: Pilot[Any]) -> None:
    """Every message handled, every animation done, and the form scrolled where it is going (the focus on
    mount may scroll it), so the snapshot sees the screen as a user would once it stops moving."""

    def still() -> bool:
        form = pilot.app.screen.query_one("#form", VerticalScroll)
        machine_shown = not isinstance(pilot.app.screen, STEP_SCREENS["model"]) or pilot.app.machine  # type: ignore[attr-defined]
        scrolled = form.size.height > 0 and form.scroll_y == form.scroll_target_y
        analysed = not pilot.app.analyst.pending()  # type: ignore[attr-defined]
        return edits_applied(pilot.app) and scrolled and bool(machine_shown) and analysed

    await wait_for(pilot, still)
    await pilot.wait_for_scheduled_animations()
    await wait_for(pilot, still)


class TestWizardScreens:
    def test_start(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app(), terminal_size=SIZE)

    def test_model(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SIZE, run_before=on_step("model"))

    def test_dataset(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        app = make_app("smollm2-135m-lora")
        assert snap_compare(app, terminal_size=SIZE, run_before=on_step("dataset", data=True))

    def test_lora(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SIZE, run_before=on_step("lora"))

    def test_sequence(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        app = make_app("smollm2-135m-lora")
        assert snap_compare(app, terminal_size=SIZE, run_before=on_step("sequence", data=True))

    def test_training(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SIZE, run_before=on_step("training"))

    def test_review(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SIZE, run_before=on_step("review"))

    def test_help(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SIZE, press=["f1"])


class TestReadability:
    def test_model_at_80x24(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=(80, 24), run_before=on_step("model"))

    def test_lora_in_the_light_theme(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        app = make_app("smollm2-135m-lora")

        async def light(pilot: Pilot[Any]) -> None:
            pilot.app.theme = "textual-light"
            await on_step("lora")(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=light)


SMALL = (80, 24)
"""The smallest terminal the wizard is made for: no label, select or button may be cut."""


class TestWizardAt80x24:
    def test_start(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app(), terminal_size=SMALL)

    def test_dataset(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        app = make_app("smollm2-135m-lora")
        assert snap_compare(app, terminal_size=SMALL, run_before=on_step("dataset", data=True))

    def test_lora(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SMALL, run_before=on_step("lora"))

    def test_sequence(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        app = make_app("smollm2-135m-lora")
        assert snap_compare(app, terminal_size=SMALL, run_before=on_step("sequence", data=True))

    def test_training(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SMALL, run_before=on_step("training"))

    def test_review(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SMALL, run_before=on_step("review"))

    def test_help(self, snap_compare: Any, make_app: Callable[..., WizardApp]) -> None:
        assert snap_compare(make_app("smollm2-135m-lora"), terminal_size=SMALL, press=["f1"])
