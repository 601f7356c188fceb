"""The base of every error ft-tui raises for a problem the user can fix, and the one way to turn any exception
into one line.

Front ends render an `FtTuiError` in one place each: `engine.cli.report.report_error` for the commands (stderr,
exit code) and `tui.notify.notify_error` for the terminal UI. Each error carries what they need: a one-line
`message`, the `exit_code` a command ends with, and an optional one-line `fix`.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK = 0
"""A command that did its job (validate: no errors; train: the run completed)."""
EXIT_FAILED = 1
"""A command that could not do its job: a config with errors, bad data, a model that cannot be loaded."""
EXIT_USAGE = 2
"""A command that was given something it cannot even read: no such file, unreadable YAML, a wrong argument."""
EXIT_INTERRUPTED = 130
"""Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it); a stopped run kept a checkpoint."""
EXIT_BROKEN_PIPE = 141
"""The reader of stdout went away (128 + SIGPIPE, as shells report it)."""


class FtTuiError(Exception):
    """A problem the user can fix. `str(error)` is the message as raised; `message` is it on one line.

    Subclasses set `exit_code` (the class default) and may set `fix` (the class default, or per raise)."""

    exit_code: ClassVar[int] = EXIT_FAILED
    fix: str = ""
    """How to fix it, one line, shown after the message; empty when the message already says it."""

    def __init__(self, message: str = "", *, fix: str | None = None) -> None:
        super().__init__(message)
        if fix is not None:
            self.fix = fix

    @property
    def message(self) -> str:
        """The message on one line (several lines are joined with "; "), as a front end shows it."""
        return "; ".join(line.strip() for line in str(self).strip().splitlines() if line.strip())

    def lines(self) -> list[str]:
        """The lines a command prints, each after `error: `: the message; an error listing several problems
        (engine.config.ConfigError) prints one line per problem."""
        return [self.message]


class UsageError(FtTuiError):
    """A command line that names nothing usable (a missing file, a folder that is not a run)."""

    exit_code: ClassVar[int] = EXIT_USAGE


def one_line(error: BaseException, *, innermost: bool = False) -> str:
    """Any exception as one line: an FtTuiError's message (and its fix, after "; "); anything else as
    `TypeName: first line`. For a line that travels on alone: an event, a status line, another error's message.

    With `innermost`, the exception's innermost cause (`raise ... from`) speaks instead: libraries that wrap an
    error (datasets around a JSON or HTTP error) put the real reason at the bottom of the chain."""
    if innermost:
        while error.__cause__ is not None:
            error = error.__cause__
    if isinstance(error, FtTuiError):
        return f"{error.message}; {error.fix}" if error.fix else error.message
    return f"{type(error).__name__}: {first_line(error)}"


def first_line(error: BaseException) -> str:
    """The first line of an exception's text ("" when it has none)."""
    return (str(error).strip().splitlines() or [""])[0]
