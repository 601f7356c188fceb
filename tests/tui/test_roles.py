"""The Role names field reads `user: human; assistant: gpt`; text in another shape is not guessed into roles."""

from __future__ import annotations

import pytest

from tui.widgets.fields import format_roles, parse_roles


def test_roles_in_the_field_syntax_are_read() -> None:
    roles = parse_roles("user: human; assistant: gpt, bot; tool: observation")
    assert roles == {"user": ["human"], "assistant": ["gpt", "bot"], "tool": ["observation"]}
    assert parse_roles(format_roles(roles)) == roles


@pytest.mark.parametrize("text", ["user: human assistant gpt", "user human: gpt", "user: ; assistant: gpt", "human"])
def test_text_in_another_shape_is_not_read_as_roles(text: str) -> None:
    assert parse_roles(text) is None
