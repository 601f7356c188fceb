"""Applying a finding's fix on a wizard step: the one path from an Apply button (or Ctrl+F) to the config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.rules import Finding, describe_changes
from tui.screens.step import EDIT_EVENTS

if TYPE_CHECKING:
    from tui.screens.step import StepScreen


def apply_fix(screen: StepScreen, finding: Finding) -> None:
    """Apply a finding's `changes` through the app's one config-update path, so the lights and the dirty flag
    follow, and show the new values in the step's fields. A change the config refuses changes nothing."""
    if not screen.edits.flush_or_refuse():
        return
    wizard = screen.wizard
    if finding.retarget:
        wizard.declare_target(finding.retarget)
        _reload(screen)
        screen.notify(f"Train on: {wizard.target.describe()}")
        return
    problem = wizard.apply_changes(finding.changes)
    if problem is not None:
        screen.notify(f"could not apply the fix ({describe_changes(finding.changes)}): {problem}", severity="error")
        return
    _reload(screen)
    screen.notify(f"set {describe_changes(finding.changes)}")


def _reload(screen: StepScreen) -> None:
    """Show the config's new values in the step's fields (without their change messages re-applying them)."""
    with screen.prevent(*EDIT_EVENTS):
        screen.load_fields(screen.wizard.config)
    screen.refresh_state()
