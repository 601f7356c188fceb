"""The F1 help in a browser tab says how the page differs from a terminal; in a terminal it stays as it was."""

from __future__ import annotations

from tui.screens.dialogs import help_markdown


def test_the_browser_help_comes_first_and_names_the_keys_a_browser_keeps() -> None:
    text = help_markdown(web=True)
    assert text.startswith("# In a web browser")
    for key in ("Ctrl+N", "Ctrl+T", "Ctrl+W"):
        assert key in text.split("# Keys everywhere")[0]
    assert "Ctrl+O" in text  # how a new tab finds a run started from a closed one
    assert "| Alt+N | Next step, as Ctrl+N" in text


def test_the_terminal_help_has_no_browser_section_but_lists_the_runs_key() -> None:
    text = help_markdown()
    assert "In a web browser" not in text
    assert "| Ctrl+O | The list of runs" in text
