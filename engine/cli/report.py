"""The one way a command reports an FtTuiError: on stderr, `error: ` lines then a `fix: ` line, and its exit code."""

from __future__ import annotations

from engine.cli.output import console
from engine.errors import FtTuiError
from engine.markup import escape_markup


def report_error(error: FtTuiError) -> int:
    """Print the error on stderr and return the exit code the command ends with (the error's own).

    Each line stays one line into a file or pipe (no wrapping), so whoever greps the output finds it whole; the
    text is printed as written, never read as markup.
    """
    out = console(stderr=True)
    for line in error.lines():
        out.print(f"[bold red]error[/]: {escape_markup(line)}", highlight=False, soft_wrap=True)
    if error.fix:
        out.print(f"  [dim]fix:[/] {escape_markup(error.fix)}", highlight=False, soft_wrap=True)
    return error.exit_code
