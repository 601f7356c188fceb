"""SVG snapshots of every wizard screen at 100x32 (and the default step at 80x24, and in the light theme).

Regenerate after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`, then look at the
SVGs in __snapshots__ before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import wait_for
from tui.app import WizardApp

SIZE = (100, 32)


def on_step(step: str, *, data: bool = False) -> Callable[[Pilot[Any]], Any]:
    """A run_before that opens `step` and, for the data steps, waits for the analysis to finish."""

    async def run_before(pilot: Pilot[Any]) -> None:
        app: WizardApp = pilot.app  # type: ignore[assignment]
        app.goto(step)
        await pilot.pause()
        if data:
            await wait_for(pilot, lambda: app.data_facts() is not None)
        await pilot.pause(0.3)

    return run_before


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
