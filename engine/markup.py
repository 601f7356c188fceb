"""User text inside console or screen markup: the one escaping helper.

Rich (the commands' output) and Textual (the TUI's notifications, dialogs and labels) read `[word]` as a style tag,
so a finding about `roles_to_train: [assistant]` or a path like `runs/[exp]/` loses its brackets. Whatever the
user wrote (paths, config values, findings that quote them, library messages) goes through `escape_markup` before
it meets markup, or is shown with markup off. Rich and Textual escape alike; Rich's escape is used for both.
"""

from __future__ import annotations


def escape_markup(text: object) -> str:
    """`text` as markup that shows it exactly as written (each `[` that could open a tag is escaped)."""
    from rich.markup import escape

    return escape(str(text))
