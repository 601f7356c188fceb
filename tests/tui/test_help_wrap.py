"""Help text breaks between words, and a hub id or a path longer than the panel after a `/`, `-`, `_` or `.`,
never at whatever letter the panel's edge falls on."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from textual.widgets import Input

from tests.tui.conftest import settle
from tui.app import WizardApp
from tui.state import help_text
from tui.widgets.help_panel import HelpPanel
from tui.widgets.wrap import wrap_words


def test_long_names_break_after_a_separator() -> None:
    text = "Download HuggingFaceTB/SmolLM2-135M-Instruct into presets/data/ft_tui_persona.jsonl first."
    lines = wrap_words(text, 20)
    assert all(len(line) <= 20 for line in lines)
    assert "HuggingFaceTB/" in lines and "SmolLM2-135M-" in lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost, nothing added


def test_a_name_without_separators_is_cut_at_the_width() -> None:
    assert wrap_words("a " + "x" * 25, 10) == ["a", "x" * 10, "x" * 10, "x" * 5]


async def test_the_panel_breaks_the_models_help_between_names(make_app: Callable[..., WizardApp]) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(80, 24)) as pilot:
        app.goto("model")
        await settle(pilot)
        app.screen.query_one("#in-row-base_model", Input).focus()
        await pilot.pause()
        panel = app.screen.query_one(HelpPanel)
        lines = [panel.render_line(y).text.strip() for y in range(panel.size.height)]  # as on screen
        assert any("SmolLM2" in line for line in lines)
        words = set(help_text("base_model").split())
        for before, after in itertools.pairwise(lines):
            if before.split() and after.split() and before.split()[-1] + after.split()[0] in words:
                assert before[-1] in "/-_.", (before, after)  # a name broken across lines: at a seam


def test_findings_keep_their_colours_and_break_paths_at_seams() -> None:
    from textual.content import Content

    from tui.widgets.wrap import wrap_content

    content = Content.assemble(("✗ error: ", "bold"), "output_dir: type e.g. the default ./outputs/lora-out")
    wrapped = wrap_content(content, 14)
    lines = wrapped.plain.splitlines()
    assert all(len(line) <= 14 for line in lines) and "./outputs/" in lines and "lora-out" in lines
    assert wrapped.spans[0].style == "bold" and wrapped.plain.startswith("✗ error:")
