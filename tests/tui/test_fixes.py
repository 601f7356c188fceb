"""One-key fixes in the wizard: each finding whose fix is a config change gets an Apply button and Ctrl+F, the change
goes through the one config-update path (lights, dirty flag, fields), and a change the config refuses changes
nothing. Also: data whose every row is dropped is an error on the Dataset step, as in `validate --data`; the
Dataset step names the longest row read; typing a path key by key keeps the focus."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from engine.rules import Finding
from tests.tui.conftest import opened_at, settle, wait_for
from tests.tui.test_steps import findings_text, next_button, row
from tui.app import WizardApp
from tui.screens.dialogs import help_markdown
from tui.screens.fixes import apply_fix
from tui.screens.step import StepScreen
from tui.state import edit_config
from tui.widgets.findings import FixButton, FixButtons

AppFactory = Callable[..., WizardApp]


def spy_notifications(app: WizardApp) -> list[str]:
    """What the app says in its toasts, in order."""
    said: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        said.append(message)
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return said


def fix_buttons(app: WizardApp) -> list[FixButton]:
    return list(app.screen.query_one(FixButtons).query(FixButton))


async def test_the_apply_button_sets_the_fix_and_the_field_shows_it(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "sequence") as pilot:
        said = spy_notifications(app)
        app.set_config(edit_config(app.config, {"sample_packing": False, "eval_sample_packing": True}))
        await pilot.pause()
        assert "eval_sample_packing is on while sample_packing is off" in findings_text(app)
        [button] = [b for b in fix_buttons(app) if b.finding.rule_id == "packing.eval_packing_without_train_packing"]
        assert str(button.label) == "Apply: eval_sample_packing → false"
        button.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.config.eval_sample_packing is False and app.state is not None and app.state.dirty
        assert row(app, "eval_sample_packing").value is False  # the field on the step shows the new value
        assert "eval_sample_packing is on" not in findings_text(app)
        assert not [b for b in fix_buttons(app) if b.finding.rule_id == "packing.eval_packing_without_train_packing"]
        assert "set eval_sample_packing: false" in said


async def test_ctrl_f_applies_the_first_fix_while_typing_in_a_field(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "training") as pilot:
        said = spy_notifications(app)
        app.set_config(edit_config(app.config, {"warmup_steps": 10}))
        await pilot.pause()
        assert next_button(app).disabled  # warmup_steps and warmup_ratio: an error
        # At 80x24 the panel's Apply buttons can sit below the fold: the status line names the key.
        assert str(app.screen.query_one("#nav-status", Static).render()) == "✗ 1 error blocks this step · Ctrl+F fixes"
        app.screen.query_one("#in-row-learning_rate", Input).focus()
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert app.config.warmup_steps is None and app.config.warmup_ratio == 0.05
        assert app.screen.query_one("#in-row-warmup_steps", Input).value == ""
        assert not next_button(app).disabled
        assert "set warmup_steps: (removed)" in said
        assert isinstance(app.focused, Input) and app.focused.id == "in-row-learning_rate"


async def test_a_fix_the_config_refuses_changes_nothing_and_says_why(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "training") as pilot:
        said = spy_notifications(app)
        before = app.config
        refused = Finding("x.y", "warning", "m", "why", "fix", ("learning_rate",), changes={"learning_rate": "fast"})
        assert isinstance(app.screen, StepScreen)
        apply_fix(app.screen, refused)
        await pilot.pause()
        assert app.config is before
        assert said and said[-1].startswith("could not apply the fix (learning_rate: fast): ")
        assert "learning_rate" in said[-1].split(": ", 1)[1]


async def test_ctrl_f_without_a_fix_says_so(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "lora") as pilot:
        said = spy_notifications(app)
        before = app.config
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert app.config is before and said == ["No finding on this step has a fix that can be applied for you."]


def test_help_lists_the_fix_key() -> None:
    assert "| Ctrl+F | Apply the first suggested fix of the findings panel (its Apply button)" in help_markdown()


def too_long_rows(folder: Path) -> Path:
    """Alpaca rows far longer than a 64-token sequence_len (written by the test)."""
    path = folder / "long.jsonl"
    rows = [{"instruction": "say it at length " * 40, "output": "fine " * 40} for _ in range(6)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


async def test_every_row_dropped_is_an_error_on_the_dataset_step(make_app: AppFactory, tmp_path: Path) -> None:
    """The same finding `ft-tui validate --data` gives (tests/cli/test_validate.py), not a ✓ beside a status line."""
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "dataset") as pilot:
        entry = {"path": str(too_long_rows(tmp_path)), "type": "alpaca"}
        app.set_config(edit_config(app.config, {"datasets": [entry], "sequence_len": 64}))
        await wait_for(pilot, lambda: "data.every_row_dropped" in {f.rule_id for f in app.derived.findings()})
        await pilot.pause()
        assert "all 6 rows read are dropped after tokenizing (too long: 6)" in findings_text(app)
        assert next_button(app).disabled and "✗" in str(app.screen.query_one("#nav-status", Static).render())
        histogram = str(app.screen.query_one("#histogram", Static).render())
        assert "6 rows read: 0 train + 0 eval samples" in histogram
        assert "longest" in histogram and "tokens" in histogram


async def test_the_dataset_step_names_the_longest_row_read(make_app: AppFactory, tmp_path: Path) -> None:
    """Rows over sequence_len are dropped, so the longest kept row is shorter than the longest read; saying only
    "longest 511 tokens" next to "25 longer than sequence_len 512" read as a contradiction."""
    path = tmp_path / "mixed.jsonl"
    rows = [{"instruction": "hi", "output": "yo"}] * 20 + [{"instruction": "long " * 200, "output": "x"}] * 2
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "dataset") as pilot:
        entry = {"path": str(path), "type": "alpaca"}
        app.set_config(edit_config(app.config, {"datasets": [entry], "sequence_len": 64, "val_set_size": 0}))
        await wait_for(pilot, lambda: (facts := app.derived.data_facts()) is not None and facts.rows_read == len(rows))
        await pilot.pause()
        facts = app.derived.data_facts()
        assert facts.longest_read > 64 >= facts.max_length
        histogram = str(app.screen.query_one("#histogram", Static).render())
        assert f"longest {facts.longest_read:,} tokens (longest kept {facts.max_length:,})" in histogram
        assert "2 longer than sequence_len 64 (dropped)" in histogram


async def test_typing_a_path_key_by_key_keeps_the_focus_and_every_key(make_app: AppFactory) -> None:
    """The edit debounce and the data preview apply part-way through the typing; neither may take the focus or a
    key from the path box."""
    app = make_app("smollm2-135m-lora")
    path = "presets/data/ft_tui_persona.jsonl"
    async with opened_at(app, "dataset") as pilot:
        box = app.screen.query_one("#in-row-path", Input)
        box.focus()
        box.value = ""
        await settle(pilot)
        for number, key in enumerate(path):
            await pilot.press(key)
            if number % 6 == 5:  # long enough for the debounced edit to apply
                await pilot.pause(0.2)
            if key == "/" or number == 20:  # and for the preview to read what is typed so far
                await pilot.pause(1.0)
            assert app.focused is box, f"focus lost after typing {path[: number + 1]!r}: {app.focused!r}"
            assert box.value == path[: number + 1]
        await settle(pilot)
        await wait_for(pilot, lambda: app.derived.data_facts() is not None)
        await pilot.pause()
        assert app.focused is box and box.value == path
        assert app.config.datasets[0].path == path


async def test_reloading_the_fields_while_a_path_is_typed_keeps_focus_space_and_cursor(make_app: AppFactory) -> None:
    """The fields are reloaded from the config after a fix, an entry switch, or (once screens watch the state)
    after any edit; the path box must keep the focus, a trailing space the config strips, and the cursor."""
    app = make_app("smollm2-135m-lora")
    async with opened_at(app, "dataset") as pilot:
        box = app.screen.query_one("#in-row-path", Input)
        box.focus()
        box.value = ""
        await pilot.press(*"my data ")
        await settle(pilot)
        assert app.config.datasets[0].path == "my data"
        app.screen.load_fields(app.config)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press(*"file.jsonl")
        await settle(pilot)
        assert app.focused is box and box.value == "my data file.jsonl"
        assert app.config.datasets[0].path == "my data file.jsonl"
