"""Every light of a step (field marks, status line, findings panel, Next button, sidebar) agrees with the others,
because all of them come from one computation over the values on screen (tui.lights)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual.widgets import Button, Static

from tests.tui.conftest import settle, wait_for
from tests.tui.test_steps import findings_text, next_button, row, type_into
from tui.app import WizardApp
from tui.widgets.sidebar import StepList

AppFactory = Callable[..., WizardApp]


async def edit(pilot, app: WizardApp, key: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into a field and apply it, as the edit debounce does (not waiting on the timer keeps this steady on a
    busy machine)."""
    await type_into(pilot, app, key, text)
    app.screen.flush()  # type: ignore[attr-defined]
    await pilot.pause()


def nav_status(app: WizardApp) -> str:
    return str(app.screen.query_one("#nav-status", Static).render())


def sidebar_line(app: WizardApp, step: str) -> str:
    steps = app.screen.query_one(StepList)
    return str(steps.get_option(step).prompt)


def assert_ready(app: WizardApp) -> None:
    assert not next_button(app).disabled, (nav_status(app), app.screen.lights())
    assert "✗" not in nav_status(app)


async def test_a_field_fixed_back_to_its_old_value_unblocks_the_step(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("sequence")
        await pilot.pause()
        for key, good, bad in (("micro_batch_size", "1", "0"), ("sequence_len", "512", "")):
            await edit(pilot, app, key, bad)
            assert next_button(app).disabled and "✗" in nav_status(app), key
            await edit(pilot, app, key, good)
            assert_ready(app)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: getattr(app.screen, "STEP", "") == "training")
        await pilot.pause()  # type: ignore[attr-defined]
        await edit(pilot, app, "learning_rate", "")
        assert next_button(app).disabled
        await edit(pilot, app, "learning_rate", "0.001")
        assert_ready(app)


async def test_a_typed_value_error_shows_in_the_panel_and_the_sidebar(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("lora")
        await pilot.pause()
        await edit(pilot, app, "lora_r", "0")
        assert row(app, "lora_r").has_class("-invalid")
        assert "lora_r" in findings_text(app) and "no problems" not in findings_text(app)
        assert sidebar_line(app, "lora").endswith("✗")
        await edit(pilot, app, "lora_r", "16")
        assert "no problems" in findings_text(app) and sidebar_line(app, "lora").endswith("✓")


async def test_findings_about_an_old_value_go_when_the_new_value_cannot_be_read(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("training")
        await pilot.pause()
        await edit(pilot, app, "learning_rate", "5")
        assert "5" in findings_text(app)
        before = findings_text(app)
        await edit(pilot, app, "learning_rate", "-1")
        after = findings_text(app)
        assert after != before and "learning_rate" in after
        assert "Accept warnings" not in str(next_button(app).label)
        assert next_button(app).disabled


async def test_the_attention_choice_is_checked_when_it_changes(make_app: AppFactory) -> None:
    """A radio button is an input like any other: picking flex_attention with packing on (the preset packs)
    brings the catalog's error into the panel and blocks Next; going back to sdpa clears it."""
    from textual.widgets import RadioButton

    from tui.widgets.fields import RadioField

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("training")
        await pilot.pause()
        field = app.screen.query_one("#row-attn_implementation", RadioField)
        buttons = list(field.query(RadioButton))
        index = {value: i for i, (_, value, reason) in enumerate(field.choices) if reason is None}
        assert "packed samples" not in findings_text(app) and not next_button(app).disabled
        buttons[index["flex_attention"]].value = True
        await settle(pilot)
        assert app.config.attn_implementation == "flex_attention"
        assert "packed samples" in findings_text(app) and next_button(app).disabled
        buttons[index["sdpa"]].value = True
        await settle(pilot)
        assert "packed samples" not in findings_text(app) and not next_button(app).disabled


async def test_quitting_keeps_the_edit_typed_just_before(make_app: AppFactory) -> None:
    from tui.screens.dialogs import ChoiceDialog

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        assert app.state is not None
        app.state = app.state.saved_to(app.state.path or __import__("pathlib").Path("x.yml"))
        app.goto("lora")
        await pilot.pause()
        control = app.screen.query_one("#in-row-lora_r")
        control.focus()
        control.value = "32"  # type: ignore[attr-defined]
        await pilot.press("ctrl+q")  # before the debounce has applied the edit
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        assert app.config.lora_r == 32


async def test_a_bad_path_clears_the_previous_files_columns(make_app: AppFactory) -> None:
    from tests.tui.conftest import wait_for

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        columns = lambda: str(app.screen.query_one("#data-columns", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "messages" in columns())
        await edit(pilot, app, "path", "no/such/file.jsonl")
        await wait_for(pilot, lambda: "✗" in str(app.screen.query_one("#data-status", Static).render()))
        assert "messages" not in columns()


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["lora_r", "lora_alpha", "lora_dropout"]),
        st.sampled_from(["", "0", "-3", "x", "1.5", "2", "64"]),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example starts an app, a shrink would take minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=EDITS)
def test_any_edits_ending_on_valid_values_leave_the_step_unblocked(
    make_app: AppFactory, edits: list[tuple[str, str]]
) -> None:
    valid = {"lora_r": "16", "lora_alpha": "32", "lora_dropout": "0.05"}

    async def walk() -> None:
        app = make_app("smollm2-135m-lora")
        async with app.run_test(size=(100, 32)) as pilot:
            app.goto("lora")  # the LoRA step: no data analysis, so each example takes a fraction of a second
            await pilot.pause()
            screen = app.screen
            for key, text in [*edits, *valid.items()]:
                screen.query_one(f"#in-row-{key}").value = text  # type: ignore[attr-defined]
                await pilot.pause()
                screen.flush()  # type: ignore[attr-defined]
            await pilot.pause()
            assert not screen.query_one("#next", Button).disabled, nav_status(app)
            assert "✗" not in findings_text(app) and "✗" not in sidebar_line(app, "lora")

    asyncio.run(walk())


async def test_every_input_of_every_step_is_checked_when_it_changes(make_app: AppFactory) -> None:
    """Every focusable control of every step's form (buttons aside) posts a change message that the step's edit
    handler takes, so a new kind of input cannot be added that edits the config without re-checking it."""
    from textual.message import Message
    from textual.widgets import Button

    from tui.screens.step import EDIT_EVENTS
    from tui.state import STEP_IDS

    def change_messages(widget: object) -> list[type[Message]]:
        kinds = (getattr(type(widget), name, None) for name in ("Changed", "SelectedChanged"))
        return [kind for kind in kinds if isinstance(kind, type) and issubclass(kind, Message)]

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        for step in STEP_IDS[:-1]:  # the review step has no inputs; the wizard opens on the first step
            if step != STEP_IDS[0]:
                app.goto(step)
            await wait_for(pilot, lambda step=step: getattr(app.screen, "STEP", "") == step and app.screen.is_mounted)
            form = app.screen.query_one("#form")
            controls = [
                widget
                for widget in form.query("*")
                if widget.focusable
                and not isinstance(widget, Button)
                and not any(change_messages(parent) for parent in widget.ancestors if parent is not form)
            ]  # a Select's own overlay is part of the Select
            assert controls, step
            for control in controls:
                messages = change_messages(control)
                assert messages and all(issubclass(m, EDIT_EVENTS) for m in messages), (step, type(control).__name__)
