"""Several datasets on the Dataset step: add, pick and remove entries; each entry's own columns and format, and
the mix's totals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from tests.tui.conftest import settle, wait_for
from tests.tui.test_steps import choose, type_into
from tui.app import WizardApp

AppFactory = Callable[..., WizardApp]
PERSONA = "presets/data/ft_tui_persona.jsonl"


def alpaca_file(folder: Path) -> Path:
    """A few alpaca rows written by the test (no licence question: made here)."""
    path = folder / "alpaca.jsonl"
    rows = [{"instruction": f"Add {i} and {i}.", "input": "", "output": f"{2 * i}"} for i in range(12)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def shown(app: WizardApp, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id, Static).render())


async def test_add_edit_switch_and_remove_dataset_entries(make_app: AppFactory, tmp_path: Path) -> None:
    extra = alpaca_file(tmp_path)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        await wait_for(pilot, lambda: "messages" in shown(app, "#data-columns"))
        assert not app.screen.query_one("#remove-entry").display
        await pilot.click("#add-entry")
        await pilot.pause()
        assert len(app.config.datasets) == 2 and app.screen.index == 1  # type: ignore[attr-defined]
        # Set at once rather than typed: a path typed key by key is applied (and analysed) part-way, whose
        # focus handling is another test's subject; this one is about the entries.
        app.screen.query_one("#in-row-path", Input).value = str(extra)
        await settle(pilot)
        choose(app, "type", "alpaca")
        await settle(pilot)
        assert app.config.datasets[0].path == PERSONA and app.config.datasets[1].path == str(extra)
        assert app.config.datasets[1].type == "alpaca"
        await wait_for(pilot, lambda: "instruction" in shown(app, "#data-columns"))  # this entry's own columns
        await wait_for(pilot, lambda: "mix of 2 datasets" in shown(app, "#histogram"))
        assert "146 rows read" in shown(app, "#histogram")  # 134 persona rows + 12 made here
        app.screen.query_one("#entry", Select).value = 0
        await settle(pilot)
        assert app.screen.query_one("#in-row-path").value == PERSONA  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: "messages" in shown(app, "#data-columns"))
        await pilot.click("#remove-entry")
        await settle(pilot)
        assert [entry.path for entry in app.config.datasets] == [str(extra)]
        assert app.screen.query_one("#in-row-path").value == str(extra)  # type: ignore[attr-defined]
        assert not app.screen.query_one("#remove-entry").display


async def test_roles_editor_maps_tool_call_roles(make_app: AppFactory, tmp_path: Path) -> None:
    from tests.tui.test_steps import next_button, row

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        assert row(app, "roles").display  # a chat_template dataset
        await type_into(pilot, app, "roles", "user: human; assistant: gpt, function_call; tool: observation")
        app.screen.flush()  # type: ignore[attr-defined]
        await pilot.pause()
        wanted = {"user": ["human"], "assistant": ["gpt", "function_call"], "tool": ["observation"]}
        assert app.config.datasets[0].roles == wanted
        await type_into(pilot, app, "roles", "user human")
        app.screen.flush()  # type: ignore[attr-defined]
        await pilot.pause()
        assert row(app, "roles").has_class("-invalid") and next_button(app).disabled
        assert app.config.datasets[0].roles == wanted  # the last valid mapping is kept
        await type_into(pilot, app, "roles", "")
        app.screen.flush()  # type: ignore[attr-defined]
        await pilot.pause()
        assert app.config.datasets[0].roles is None and not next_button(app).disabled


def test_roles_text_round_trips() -> None:
    from tui.widgets.fields import format_roles, parse_roles

    roles = {"user": ["human"], "assistant": ["gpt", "function_call"]}
    assert parse_roles(format_roles(roles)) == roles
    assert parse_roles("user human") is None and parse_roles("user: ") is None


async def test_detected_format_is_offered_only_when_it_would_change_the_entry(make_app: AppFactory) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        await wait_for(pilot, lambda: "detected format: chat_template" in shown(app, "#data-columns"))
        button = app.screen.query_one("#apply-detected")
        assert not button.display  # the preset already reads its file as chat_template
        choose(app, "type", "completion")
        await settle(pilot)
        await wait_for(pilot, lambda: bool(button.display))
        await pilot.click("#apply-detected")
        await settle(pilot)
        assert app.config.datasets[0].type == "chat_template"
        await wait_for(pilot, lambda: not button.display)


async def test_a_detected_format_the_entry_cannot_take_says_why_and_changes_nothing(make_app: AppFactory) -> None:
    from dataclasses import replace

    from tests.tui.test_fixes import spy_notifications

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        await wait_for(pilot, lambda: "detected format" in shown(app, "#data-columns"))
        said = spy_notifications(app)
        before = app.config
        app.analysis = replace(app.analysis, suggestion={"type": "chat_template", "field_messages": 5})
        await pilot.pause()
        await pilot.click("#apply-detected")
        await settle(pilot)
        assert app.config is before
        assert said and "field_messages" in said[-1]


async def add_entry(pilot: Pilot[int], app: WizardApp, path: Path) -> None:
    """On the Dataset step, add an entry and type `path` into it, as a user would."""
    app.goto("dataset")
    await pilot.pause()
    await pilot.click("#add-entry")
    await settle(pilot)
    app.screen.query_one("#in-row-path", Input).value = str(path)
    await settle(pilot)


async def test_an_added_entry_takes_its_detected_format(make_app: AppFactory, tmp_path: Path) -> None:
    """Not `pre-tokenized`, the empty format, once the rows say alpaca; a format chosen by hand stays."""
    extra = alpaca_file(tmp_path)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await add_entry(pilot, app, extra)
        await wait_for(pilot, lambda: app.config.datasets[1].type == "alpaca")
        assert app.config.datasets[1].field_instruction in (None, "instruction")
        assert app.config.datasets[0].type == "chat_template"  # the first entry is left alone


async def test_the_sample_shown_is_the_edited_entrys(make_app: AppFactory, tmp_path: Path) -> None:
    """The merged data is shuffled, so its first sample may be any entry's; the one shown is the edited entry's."""
    extra = alpaca_file(tmp_path)
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        await add_entry(pilot, app, extra)
        choose(app, "type", "alpaca")
        await settle(pilot)
        await wait_for(pilot, lambda: "Add 0 and 0." in shown(app, "#sample"))
        app.screen.query_one("#entry", Select).value = 0
        await settle(pilot)
        await wait_for(pilot, lambda: "<|im_start|>" in shown(app, "#sample"))  # the persona chat's own sample
        assert "Add 0 and 0." not in shown(app, "#sample")
