"""Rich rendering shared by the headless commands: consoles and the findings list."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from engine.errors import EXIT_BROKEN_PIPE
from engine.markup import escape_markup
from engine.rules import Finding
from engine.wording import count

INDENT = 4

_STYLE = {"error": "bold red", "warning": "yellow", "auto": "cyan", "note": "dim"}
_TITLE = {"error": "Errors", "warning": "Warnings", "auto": "Set automatically", "note": "Notes"}


PIPE_WIDTH = 100
"""Columns for output into a file or pipe when COLUMNS does not say otherwise."""


def console(stderr: bool = False) -> Console:
    """A console that wraps to the terminal, or into a file or pipe to COLUMNS (else 100 columns).

    Into a file or pipe, plain lines are never wrapped, so a one-line error stays one line for whoever reads or
    greps it; the indented why/fix paragraphs are wrapped by `print_findings` itself, never cut.
    """
    terminal = Console(stderr=stderr).is_terminal
    width = None if terminal or _columns_from_environment() else PIPE_WIDTH
    return Console(stderr=stderr, width=width, soft_wrap=not terminal)


def _columns_from_environment() -> int | None:
    value = os.environ.get("COLUMNS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def print_findings(out: Console, findings: list[Finding], caveat: str = "") -> None:
    """Findings grouped by severity, each with its why and its fix; a one-line verdict last, with `caveat` (what
    was not checked) on it, so "ready" never claims more than was judged."""
    for severity in ("error", "warning", "auto", "note"):
        group = [finding for finding in findings if finding.severity == severity]
        if not group:
            continue
        out.print(f"\n[{_STYLE[severity]}]{_TITLE[severity]} ({len(group)})[/]", highlight=False)
        for finding in group:
            out.print(f"  [{_STYLE[severity]}]{finding.rule_id}[/]: {escape_markup(finding.message)}", highlight=False)
            out.print(_indented("why: ", finding.why, out.width), highlight=False)
            out.print(_indented("fix: ", finding.fix, out.width), highlight=False)
    errors = sum(finding.severity == "error" for finding in findings)
    warnings = sum(finding.severity == "warning" for finding in findings)
    verdict = "[bold red]not ready to train[/]" if errors else "[bold green]ready to train[/]"
    caveat = f" ({escape_markup(caveat)})" if caveat else ""
    out.print(f"\n{verdict}: {count(errors, 'error')}, {count(warnings, 'warning')}{caveat}", highlight=False)


def _indented(label: str, text: str, width: int) -> Text:
    """The text wrapped at word boundaries to `width`, its lines under the label, without trailing spaces."""
    indent = " " * INDENT
    lines = textwrap.wrap(
        text, width=max(20, width - INDENT - len(label)), break_long_words=False, break_on_hyphens=False
    ) or [""]
    rendered = Text.assemble(indent, (label, "dim"), lines[0])
    for line in lines[1:]:
        rendered.append(f"\n{indent}{' ' * len(label)}{line}")
    return rendered


def quiet_libraries(*, warnings_as_events: bool = False) -> None:
    """Our own one-line progress replaces the libraries' loading bars, advice and future-change warnings.

    The one set of library switches for every command. `warnings_as_events` (training): the run captures library
    warnings as log events (and log.txt), so they keep their level and only their own stderr copy is removed, which
    would print them twice.
    """
    import warnings

    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.logging.disable_progress_bar()
    if warnings_as_events:
        transformers.logging.disable_default_handler()
        return
    transformers.logging.set_verbosity_error()
    # The libraries' notices about their own upcoming API changes (FutureWarning, often attributed to the calling
    # library through stacklevel) tell a user of these commands nothing they can act on.
    warnings.filterwarnings("ignore", category=FutureWarning)


def exit_quietly_on_closed_pipe(command: Callable[[], int]) -> int:
    """Run a command; when the reader of stdout went away (`ft-tui validate --json | head -1`), stop without a
    traceback, as command-line tools do, with the shell's exit status for a broken pipe."""
    try:
        code = command()
        sys.stdout.flush()  # a closed pipe shows up here for output still buffered
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's own flush at exit must not fail again
        return EXIT_BROKEN_PIPE
