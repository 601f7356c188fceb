"""Every on/off mark reads without colour, and the LoRA count says what will really train."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import RadioButton, Static

from tests.tui.conftest import opened_at, settle
from tui.app import WizardApp
from tui.state import edit_config
from tui.widgets.fields import ChecklistField, TickList

AppFactory = Callable[..., WizardApp]


def rendered_lines(widget: TickList) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.option_count)]


async def test_an_unticked_layer_has_an_empty_box(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "lora") as pilot:
        app.set_config(edit_config(app.config, {"lora_target_linear": None, "lora_target_modules": ["q_proj"]}))
        app.screen.load_fields(app.config)  # type: ignore[attr-defined]
        await settle(pilot)
        checklist = app.screen.query_one("#row-lora_target_modules", ChecklistField).control
        lines = {line[3:].strip(): line for line in rendered_lines(checklist)}
        assert "X" in lines["q_proj"][:3]
        assert "X" not in lines["v_proj"][:3] and lines["v_proj"][:3].strip("▐▌ ") == ""


async def test_only_the_chosen_radio_has_a_dot(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "training") as pilot:
        await pilot.pause()
        buttons = list(app.screen.query(RadioButton))
        assert buttons, "the training step has radio buttons"
        marks = {button.value: str(button.render()).split(maxsplit=1)[0] for button in buttons}
        assert "●" in marks[True] and "●" not in marks.get(False, "")


async def test_no_layers_chosen_counts_peft_default(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "lora") as pilot:
        app.set_config(edit_config(app.config, {"lora_target_linear": None, "lora_target_modules": None}))
        app.screen.refresh_numbers()  # type: ignore[attr-defined]
        await settle(pilot)
        line = str(app.screen.query_one("#lora-params", Static).render())
        # SmolLM2: 30 blocks; q_proj 576->576, v_proj 576->192; r = the preset's rank
        r = app.config.lora_r
        expected = 30 * r * ((576 + 576) + (576 + 192))
        assert f"{expected:,} trainable" in line, line
        assert "peft's default" in line


async def test_the_share_is_the_model_card_share(make_app: AppFactory) -> None:
    """The model card divides by every weight of the trained model (base plus adapter); the wizard does too."""
    from engine.models.facts import trainable_share

    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "lora"):
        line = str(app.screen.query_one("#lora-params", Static).render())
        count = int(line.split(" trainable")[0].replace(",", ""))
        facts = app.derived.model_facts()
        assert facts is not None and facts.parameter_count is not None
        base = facts.parameter_count
        assert f"({trainable_share(count, base + count)} of " in line, line
        assert f"({trainable_share(count, base)} of " not in line


async def test_a_placeholder_reads_as_an_example_without_colour(make_app: AppFactory) -> None:
    from textual.widgets import Input

    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "training"):
        box = app.screen.query_one("#in-row-output_dir", Input)
        assert box.placeholder.startswith("e.g. ")
        assert box.get_component_rich_style("input--placeholder").italic
