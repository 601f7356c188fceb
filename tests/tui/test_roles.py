"""The Role names field reads `user: human; assistant: gpt`; text in another shape is not guessed into roles."""

from __future__ import annotations

import pytest

from tui.state import ROLES_SYNTAX, help_text
from tui.widgets.fields import format_roles, parse_roles


def test_roles_in_the_field_syntax_are_read() -> None:
    roles = parse_roles("user: human; assistant: gpt, bot; tool: observation")
    assert roles == {"user": ["human"], "assistant": ["gpt", "bot"], "tool": ["observation"]}
    assert parse_roles(format_roles(roles)) == roles


@pytest.mark.parametrize("text", ["user: human assistant gpt", "user human: gpt", "user: ; assistant: gpt", "human"])
def test_text_in_another_shape_is_not_read_as_roles(text: str) -> None:
    assert parse_roles(text) is None


async def test_two_roles_without_a_semicolon_get_a_one_line_error_naming_the_fix(make_app) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input, Static

    from tests.tui.test_steps import next_button, row, type_into

    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("dataset")
        await pilot.pause()
        assert app.screen.query_one("#in-row-roles", Input).placeholder == f"e.g. {ROLES_SYNTAX}"
        await type_into(pilot, app, "roles", "user: human assistant gpt")
        app.screen.flush()
        await pilot.pause()
        error = str(row(app, "roles").query_one(".field-error", Static).render())
        assert row(app, "roles").has_class("-invalid") and next_button(app).disabled
        assert "a `;` goes between roles" in error and f"type them as `{ROLES_SYNTAX}`" in error
        assert "\n" not in error.strip()


def test_one_syntax_in_the_placeholder_the_help_and_the_error() -> None:
    assert ROLES_SYNTAX in help_text("roles") and "[" not in help_text("roles")
    assert parse_roles(ROLES_SYNTAX) == {"user": ["human"], "assistant": ["gpt", "bot"]}
