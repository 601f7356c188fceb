"""Every mark of the wizard (sidebar, the step's status line, findings panel, Next, Review) is derived from the same
findings, including the data analysis's: "checking" while it runs, its failure counted, an accepted warning never
shown as ✓. A walk through every step compares them after each change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.tui.conftest import TARGET, settle, wait_for
from tests.tui.test_steps import findings_text, next_button, type_into
from tui.app import WizardApp, create_app
from tui.lights import DATA_NOT_ANALYSED_RULE
from tui.screens import STEP_SCREENS
from tui.services.data_preview import Services
from tui.state import STEP_IDS
from tui.widgets.sidebar import MARKS, StepList

AppFactory = Callable[..., WizardApp]
STATUS_MARK = {"error": "✗", "checking": "…", "warning": "!", "ok": "✓"}
RANK = {"ok": 0, "warning": 1, "checking": 1, "error": 2}


def marks_agree(app: WizardApp) -> dict[str, str]:
    """Assert that every mark on screen tells the same story; returns the marks by step."""
    screen = app.screen
    lights = screen.lights()  # type: ignore[attr-defined]
    marks = app.derived.step_marks(screen.STEP, screen.edits.errors)  # type: ignore[attr-defined]
    steps = screen.query_one(StepList)
    for step in STEP_IDS:
        assert str(steps.get_option(step).prompt).endswith(MARKS[marks[step]]), (step, marks)
    assert marks[screen.STEP] == lights.mark  # type: ignore[attr-defined]
    status = str(screen.query_one("#nav-status").render())
    assert status.startswith(STATUS_MARK[lights.mark]), (status, lights.mark)
    assert next_button(app).disabled == (lights.mark == "error")
    assert ("no problems found" in findings_text(app)) == (not lights.findings)
    worst = max((marks[step] for step in STEP_IDS if step != "review"), key=RANK.__getitem__)
    assert RANK[marks["review"]] >= RANK[worst], marks
    return marks


async def walk(app: WizardApp, pilot) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Visit every step, checking the marks on each; the marks seen, by step."""
    seen = {}
    for step in STEP_IDS:
        app.goto(step)
        await wait_for(pilot, lambda step=step: isinstance(app.screen, STEP_SCREENS[step]) and app.screen.is_mounted)
        await settle(pilot)
        seen[step] = marks_agree(app)
    return seen


async def test_the_marks_agree_on_every_step_through_data_checks_failures_and_accepted_warnings(
    make_app: AppFactory,
) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: not app.analyst.pending())
        await walk(app, pilot)

        app.goto("dataset")  # a hub dataset that cannot be read offline: "checking", then its failure counted
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["dataset"]) and app.screen.is_mounted)
        await settle(pilot)
        await type_into(pilot, app, "path", "no-such-org/no-such-dataset")
        if app.analyst.pending():
            assert marks_agree(app)["dataset"] == "checking"
        await wait_for(pilot, lambda: not app.analyst.pending(), 60)
        await settle(pilot)
        assert DATA_NOT_ANALYSED_RULE in {f.rule_id for f in app.derived.findings()}
        marks = marks_agree(app)
        assert marks["dataset"] == "warning" and marks["review"] != "ok"

        await pilot.press("ctrl+n")  # Next accepts the warning: still "!", never ✓
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["lora"]))
        await settle(pilot)
        assert app.state is not None and DATA_NOT_ANALYSED_RULE in app.state.accepted
        assert marks_agree(app)["dataset"] == "warning"
        seen = await walk(app, pilot)
        assert seen["review"]["dataset"] == "warning"

        app.goto("lora")  # a typed value the config cannot take: ✗ on the step and on Review alike
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["lora"]) and app.screen.is_mounted)
        await settle(pilot)
        await type_into(pilot, app, "lora_r", "big")
        marks = marks_agree(app)
        assert marks["lora"] == "error" and marks["review"] == "error"


async def test_new_data_settings_are_checking_until_analysed_then_agree(services: Services) -> None:
    release = threading.Event()
    release.set()

    def held_prepare(config: Any, tokenizer: Any, progress: Callable[[str], None]) -> Any:
        release.wait(timeout=30)  # the test decides when this analysis answers
        return services.prepare(config, tokenizer, progress)

    app = create_app("smollm2-135m-lora", target=TARGET, services=replace(services, prepare=held_prepare))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: not app.analyst.pending())
        release.clear()
        app.goto("sequence")
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["sequence"]) and app.screen.is_mounted)
        await settle(pilot)
        await type_into(pilot, app, "sequence_len", "256")  # the data is tokenized again for the new length
        assert app.analyst.pending()
        marks = marks_agree(app)
        assert marks["sequence"] == marks["dataset"] == marks["review"] == "checking"
        assert marks["model"] == "ok"
        release.set()
        await wait_for(pilot, lambda: not app.analyst.pending(), 60)
        await settle(pilot)
        assert marks_agree(app)["sequence"] != "checking"
