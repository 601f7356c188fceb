"""Pilot tests of each wizard step: typing values, errors appearing and clearing, Next gating, and the written YAML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox, Input, RadioButton, Select, Static

from engine.config import load_config
from engine.rules import check_config, has_errors
from tests.tui.conftest import TARGET, settle, wait_for
from tui.app import WizardApp
from tui.screens import STEP_SCREENS
from tui.screens.dialogs import ChoiceDialog, TextPrompt
from tui.screens.start import StartScreen
from tui.widgets.fields import FieldRow
from tui.widgets.findings import FindingsList

AppFactory = Callable[..., WizardApp]


async def type_into(pilot, app: WizardApp, key: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Replace a text field's content the way a person would: focus it, clear it, type."""
    control = app.screen.query_one(f"#in-row-{key}", Input)
    control.focus()
    control.value = ""
    await pilot.press(*text) if text else None
    await settle(pilot)


def row(app: WizardApp, key: str) -> FieldRow:
    return app.screen.query_one(f"#row-{key}", FieldRow)


def next_button(app: WizardApp) -> Button:
    return app.screen.query_one("#next", Button)


def findings_text(app: WizardApp) -> str:
    """The findings as on screen, its line breaks (the panel wraps to its width) read as spaces."""
    return " ".join(str(app.screen.query_one(FindingsList).render()).split())


def choose(app: WizardApp, key: str, value: object) -> None:
    """Pick a drop-down option by the config value it stands for."""
    field = row(app, key)
    index = next(i for i, (_, v) in enumerate(field.choices) if v == value and type(v) is type(value))  # type: ignore[attr-defined]
    field.query_one(Select).value = str(index)


async def test_start_screen_opens_the_default_preset_with_enter(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, StartScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["model"])
        assert app.config.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert app.state is not None and app.state.origin == "preset smollm2-135m-lora"


async def test_model_step_shows_facts_and_qlora_on_cpu_blocks_next(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        facts = str(app.screen.query_one("#model-facts", Static).render())
        assert "134.5 M" in facts and "8,192 tokens" in facts and "fits in 16.0 GiB" in facts
        choose(app, "adapter", "qlora")
        await settle(pilot)
        assert app.config.adapter == "qlora" and app.config.load_in_4bit is True
        assert next_button(app).disabled
        assert "quant" in " ".join(f.rule_id for f in app.screen.step_findings())  # type: ignore[attr-defined]
        choose(app, "adapter", "lora")
        await settle(pilot)
        assert not next_button(app).disabled
        assert app.config.load_in_4bit is False


@pytest.mark.parametrize("chosen", ["lora", None, "qlora"])
async def test_each_method_sets_the_base_weights_the_methods_owner_says(make_app: AppFactory, chosen: object) -> None:
    """From 8-bit LoRA, each Method sets what `init --plain` sets for it (engine.config.choices.method_changes): a
    full fine-tune cannot train a quantized base, so it goes back to full precision (the wizard once kept 8-bit)."""
    from engine.config.choices import method_changes
    from tui.state import edit_config

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        quant = app.screen.query_one("#row-quant", FieldRow)
        quant.query_one(Select).value = str(next(i for i, (_, v) in enumerate(quant.choices) if v == "8bit"))  # type: ignore[attr-defined]
        await settle(pilot)
        assert app.config.load_in_8bit is True
        start = app.config
        choose(app, "adapter", chosen)
        await settle(pilot)
        expected = edit_config(start, method_changes(start.adapter, chosen))
        got = app.config
        assert (got.adapter, got.load_in_4bit, got.load_in_8bit) == (
            expected.adapter,
            expected.load_in_4bit,
            expected.load_in_8bit,
        )


async def test_dataset_step_previews_the_real_data_and_flags_a_missing_file(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await wait_for(pilot, lambda: app.derived.data_facts() is not None)
        await pilot.pause()
        assert "134 rows read" in str(app.screen.query_one("#histogram", Static).render())
        assert "trained (loss)" in str(app.screen.query_one("#sample", Static).render())
        await type_into(pilot, app, "path", "no/such/file.jsonl")
        assert app.config.datasets[0].path == "no/such/file.jsonl"
        assert next_button(app).disabled
        assert "no/such/file.jsonl" in findings_text(app)
        await type_into(pilot, app, "path", "presets/data/ft_tui_persona.jsonl")
        assert not next_button(app).disabled


async def test_dataset_format_change_shows_its_mapping_rows_and_clears_the_others(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        choose(app, "type", "alpaca")
        await settle(pilot)
        assert row(app, "field_instruction").display and not row(app, "field_messages").display
        entry = app.config.datasets[0]
        assert entry.type == "alpaca" and entry.field_messages is None and entry.roles_to_train is None


async def test_lora_rank_type_error_blocks_next_until_fixed(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("lora")
        await pilot.pause()
        await type_into(pilot, app, "lora_r", "big")
        assert row(app, "lora_r").has_class("-invalid")
        assert "valid integer" in str(row(app, "lora_r").query_one(".field-error", Static).render())
        assert next_button(app).disabled
        assert app.config.lora_r == 16  # the last valid value is kept
        await type_into(pilot, app, "lora_r", "32")
        assert not row(app, "lora_r").has_class("-invalid") and not next_button(app).disabled
        assert app.config.lora_r == 32
        assert "9,768,960 trainable" in str(app.screen.query_one("#lora-params", Static).render())


async def test_lora_module_checklist_sets_target_modules(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("lora")
        await pilot.pause()
        row(app, "lora_target_linear").control.value = False  # type: ignore[attr-defined]
        await settle(pilot)
        checklist = row(app, "lora_target_modules")
        assert not checklist.disabled
        checklist.control.select("q_proj")  # type: ignore[attr-defined]
        checklist.control.select("v_proj")  # type: ignore[attr-defined]
        await settle(pilot)
        assert app.config.lora_target_linear is None
        assert app.config.lora_target_modules == ["q_proj", "v_proj"]
        assert "921,600 trainable" in str(app.screen.query_one("#lora-params", Static).render())


async def test_sequence_step_explains_a_too_small_packed_eval_split(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("sequence")
        await wait_for(pilot, lambda: app.derived.data_facts() is not None)
        await pilot.pause()
        assert "rows of 512" in str(app.screen.query_one("#packing-numbers", Static).render())
        choose(app, "eval_sample_packing", None)
        await type_into(pilot, app, "gradient_accumulation_steps", "8")
        explanation = str(app.screen.query_one("#eval-explanation", Static).render())
        assert "packing.eval_split_too_small" in explanation and "14 eval rows" in explanation
        assert next_button(app).disabled
        choose(app, "eval_sample_packing", False)
        await settle(pilot)
        assert not next_button(app).disabled
        assert str(app.screen.query_one("#eval-explanation", Static).render()) == ""


async def test_training_step_greys_cuda_attention_and_validates_the_learning_rate(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("training")
        await pilot.pause()
        buttons = {str(b.label).split(" ")[0]: b for b in app.screen.query(RadioButton)}
        assert buttons["flash_attention_2"].disabled and "needs a CUDA GPU" in str(buttons["flash_attention_2"].label)
        assert not buttons["sdpa"].disabled and buttons["sdpa"].value
        await type_into(pilot, app, "learning_rate", "fast")
        assert next_button(app).disabled
        await type_into(pilot, app, "learning_rate", "1e-4")
        assert app.config.learning_rate == 1e-4 and not next_button(app).disabled


async def test_warnings_are_accepted_explicitly_by_next(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("sequence")
        await pilot.pause()
        row(app, "sample_packing").control.value = False  # type: ignore[attr-defined]
        row(app, "pad_to_sequence_len").control.value = True  # type: ignore[attr-defined]
        await settle(pilot)
        assert "Accept warnings" in str(next_button(app).label) and not next_button(app).disabled
        await pilot.click("#next")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["training"])
        assert app.state is not None and "packing.padding_wastes_compute" in app.state.accepted


async def test_help_panel_explains_the_focused_field(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("sequence")
        await pilot.pause()
        app.screen.query_one("#in-row-micro_batch_size", Input).focus()
        await pilot.pause()
        help_text = " ".join(str(app.screen.query_one("#help", Static).render()).split())  # wrapped to the panel
        assert help_text.startswith("micro_batch_size") and "Rows (or packed rows) per forward pass" in help_text


async def test_review_saves_yaml_that_equals_the_fields_and_validates(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app("smollm2-135m-lora")
    target = tmp_path / "my-run.yml"
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("lora")
        await pilot.pause()
        await type_into(pilot, app, "lora_alpha", "64")
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["review"])
        assert "lora_alpha: 64" in app.screen.yaml_text  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.is_file()
        saved = load_config(target)
        assert saved == app.config and saved.lora_alpha == 64
        assert not has_errors(check_config(saved, TARGET))
        assert app.state is not None and not app.state.dirty and app.state.path == target


async def test_saving_over_an_existing_file_asks_first(make_app: AppFactory, tmp_path: Path) -> None:
    existing = tmp_path / "keep.yml"
    existing.write_text("base_model: keep-me\n", encoding="utf-8")
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(existing)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert existing.read_text(encoding="utf-8") == "base_model: keep-me\n"


async def test_quitting_with_unsaved_changes_asks_first(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await type_into(pilot, app, "base_model", "Qwen/Qwen3-0.6B")  # an edit: a preset as opened loses nothing
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#answer-cancel")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, STEP_SCREENS["model"])
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#answer-discard")
        await pilot.pause()
    assert app.return_value == 0


async def test_opening_a_config_file_keeps_its_path(make_app: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "mine.yml"
    path.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\nlora_r: 4\n", encoding="utf-8")
    app = make_app(config_path=path)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert app.state is not None and app.state.path == path and not app.state.dirty
        assert app.config.lora_r == 4


async def test_save_as_preset_lists_it_on_the_start_screen(make_app: AppFactory) -> None:
    from engine.presets import list_presets, load_preset

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("review")
        await pilot.pause()
        await pilot.click("#save-preset")
        await pilot.pause()
        app.screen.query_one(Input).value = "my-quill"
        await pilot.press("enter")
        await pilot.pause()
    assert any(info.name == "my-quill" and not info.builtin for info in list_presets())
    assert load_preset("my-quill") == app.config


async def test_the_default_preset_has_no_error_from_an_empty_folder(
    make_app: AppFactory, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A newcomer's first screen: the preset's data is found beside the preset, wherever ft-tui was started."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await wait_for(pilot, lambda: app.derived.data_facts() is not None)
        await pilot.pause()
        assert Path(app.config.datasets[0].path).is_file()
        assert not has_errors(check_config(app.config, TARGET))
        assert "does not exist" not in findings_text(app)
        assert not next_button(app).disabled


async def test_saving_over_an_existing_file_keeps_its_mode(make_app: AppFactory, tmp_path: Path) -> None:
    existing = tmp_path / "shared.yml"
    existing.write_text("base_model: old\n", encoding="utf-8")
    existing.chmod(0o644)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one(Input).value = str(existing)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#answer-replace")
        await pilot.pause()
        assert "smollm2" in existing.read_text(encoding="utf-8").lower()
        assert existing.stat().st_mode & 0o777 == 0o644


async def test_saving_an_opened_commented_config_rewrites_only_the_edited_line(
    make_app: AppFactory, tmp_path: Path
) -> None:
    """The wizard saves over the file it opened by editing it in place (engine/config/roundtrip.py)."""
    source = tmp_path / "commented.yml"
    original = (
        "# hand-tuned; keep this comment\n"
        "base_model: HuggingFaceTB/SmolLM2-135M-Instruct\n"
        "datasets:\n"
        "  - path: rows.jsonl   # my rows\n"
        "    type: chat_template\n"
        "lora_r: 16          # rank\n"
        "lora_mlp_kernel: true   # axolotl only\n"
    )
    source.write_text(original, encoding="utf-8")
    app = make_app(config_path=source)
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("lora")
        await pilot.pause()
        await type_into(pilot, app, "lora_r", "32")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("enter")
        await pilot.pause()
        if isinstance(app.screen, ChoiceDialog):
            await pilot.click("#answer-replace")
            await pilot.pause()
    assert source.read_text(encoding="utf-8") == original.replace("lora_r: 16 ", "lora_r: 32 ")


async def test_model_step_shows_what_this_machine_can_do(make_app: AppFactory) -> None:
    """The same facts as `ft-tui doctor`: what works here, what does not, and where the fixes are."""
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        facts = lambda: str(app.screen.query_one("#machine-facts", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "Works here" in facts())  # engine.doctor looks in a worker
        text = facts()
        assert "Works here: cpu, eager, sdpa, fp32, bf16" in text
        assert "Not here: cuda" in text and "xformers" in text and "ft-tui doctor" in text


async def test_a_download_that_fails_in_an_unforeseen_way_says_why(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only a missing model: any failure of the download worker ends as a ✗ line, never a silent stop."""
    import engine.models
    from tui.screens.model import ModelScreen

    def broken(*_args: object, **_kwargs: object) -> Path:
        raise RuntimeError("the network went away")

    monkeypatch.setattr(engine.models, "resolve_model", broken)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ModelScreen)
        screen.download("org/some-model")
        status = lambda: str(screen.query_one("#download-status", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "the network went away" in status())
        assert status().startswith("✗")


async def test_an_unticked_box_is_empty_not_a_grey_x(make_app: Callable[..., WizardApp]) -> None:
    """Textual draws X in both states and tells them apart by colour only; in a monochrome terminal or a pasted
    screenshot every option read as on."""
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        app.goto("sequence")
        await settle(pilot)
        box = app.screen.query_one("#in-row-sample_packing", Checkbox)
        assert box.value and "▐X▌" in str(box.render())
        never_ticked = app.screen.query_one("#in-row-pad_to_sequence_len", Checkbox)
        assert not never_ticked.value and "▐ ▌" in str(never_ticked.render())
        box.focus()
        await pilot.press("space")
        await settle(pilot)
        assert not box.value and "▐ ▌" in str(box.render())
