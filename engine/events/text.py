"""Events as words: the one wording of a warning and a phase, shared by `ft-tui train`'s output and the monitor's
log, so the terminal and the TUI never describe the same event two ways."""

from __future__ import annotations

from engine.events.schema import PhaseEvent, WarningEvent


def warning_text(event: WarningEvent) -> str:
    """`rule.id: message`, or the message alone for a warning no rule raised (a library's)."""
    return f"{event.rule_id}: {event.message}" if event.rule_id else event.message


def phase_name(event: PhaseEvent) -> str:
    """`preparing data` for `preparing_data`."""
    return event.phase.replace("_", " ")


def phase_progress(phase: str, current: int | None, total: int | None) -> str:
    """`evaluating 12/40`: a phase with its progress inside it when known, else the phase alone."""
    name = phase.replace("_", " ")
    return f"{name} {current or 0:,}/{total:,}" if total else name


def phase_text(event: PhaseEvent) -> str:
    """`preparing data: rows.json`: the phase and what it works on."""
    return f"{phase_name(event)}: {event.detail}" if event.detail else phase_name(event)
