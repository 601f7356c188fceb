"""The one way a screen shows an FtTuiError: a notification with its message, and its fix on the next line."""

from __future__ import annotations

from typing import Protocol

from textual.notifications import SeverityLevel

from engine.errors import FtTuiError

ERROR_TIMEOUT_S = 10
"""Long enough to read a path and a fix; the default few seconds are for short confirmations."""


class Notifier(Protocol):
    """An app, a screen or a widget: whatever can raise a toast."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...


def error_text(error: FtTuiError) -> str:
    """The message, then `fix: ...` on its own line when the error has a fix."""
    return error.message + (f"\nfix: {error.fix}" if error.fix else "")


def notify_error(where: Notifier, error: FtTuiError, *, severity: SeverityLevel = "error") -> None:
    """Show the error as a toast; its text is shown as written (a path or key with brackets is not markup)."""
    where.notify(error_text(error), severity=severity, timeout=ERROR_TIMEOUT_S, markup=False)
