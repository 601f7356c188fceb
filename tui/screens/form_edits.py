"""What was typed on a wizard step and not applied yet: the edit debounce, and the values the config cannot take."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.timer import Timer

from tui.widgets.fields import FieldRow

if TYPE_CHECKING:
    from tui.screens.step import StepScreen

EDIT_DEBOUNCE_S = 0.12
"""Edits are applied this long after the last key press: fast enough to feel live, few enough checks to stay
cheap while someone types a number."""


class FormEdits:
    """One step's typed-but-not-applied state. The screen's `flush` applies it; until then a refused value stays
    in its field, marked, and in `errors` (which the step's lights count), so nothing typed is lost."""

    def __init__(self, screen: StepScreen) -> None:
        self.screen = screen
        self.timer: Timer | None = None
        self.errors: dict[str, str] = {}
        """Config key -> why the value typed for it cannot be taken."""

    @property
    def pending(self) -> bool:
        """True from an edit until the debounce applies it: what a test waits on instead of a fixed time."""
        return self.timer is not None

    def edited(self) -> None:
        """Apply the form EDIT_DEBOUNCE_S after the last edit."""
        self.stop()
        self.timer = self.screen.set_timer(EDIT_DEBOUNCE_S, self.screen.flush)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None

    def show_errors(self, errors: dict[str, str]) -> None:
        """Mark each row with its typed value's problem (or none); keys without a row go to the screen's
        `show_other_errors`."""
        self.errors = errors
        rows = list(self.screen.query(FieldRow))
        for row in rows:
            row.show_error(errors.get(row.key))
        keys = {row.key for row in rows}
        self.screen.show_other_errors({key: message for key, message in errors.items() if key not in keys})

    def flush_or_refuse(self) -> bool:
        """Apply pending edits before leaving the entry or step; False (and says so) while a field holds a value
        the config cannot take, so no typed value is lost."""
        if self.screen.flush():
            return True
        self.screen.notify("Fix or clear the field marked ✗ first, so no typed value is lost.", severity="error")
        return False
