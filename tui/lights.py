"""Every light a wizard step shows, from one computation over the values on screen.

A step has several lights: the ✗ under a field, the status line beside Next, Next itself (enabled, "Accept
warnings"), the findings panel and the sidebar mark. When each was worked out on its own they disagreed (a
field error under `lora_r` while the panel said "no problems"; a step blocked after its field was fixed back).
Here they are derived together from the catalog's findings on the last valid config plus the values typed
on screen that the config cannot take, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.config import DatasetConfig, RunConfig
from engine.rules import Finding
from engine.wording import count

TYPED_VALUE_RULE = "wizard.typed_value"
"""rule_id of the findings made from a value on screen that the config cannot take."""


@dataclass(frozen=True)
class Lights:
    """What one step shows, all from the same findings."""

    findings: tuple[Finding, ...]
    """The findings panel: typed-value errors first, then the catalog's findings that are still about what is
    on screen (a finding about a key whose box now holds an unreadable value is about the old value: dropped)."""
    field_errors: Mapping[str, str] = field(default_factory=dict)
    """The ✗ line under each field, by config key."""
    accepted: frozenset[str] = frozenset()
    checking: bool = False
    """The data analysis these findings need for this step has not answered yet: no ✓ can be claimed."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def open_warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning" and f.rule_id not in self.accepted]

    @property
    def blocked(self) -> bool:
        return bool(self.errors)

    @property
    def accepted_warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning" and f.rule_id in self.accepted]

    @property
    def mark(self) -> str:
        """The sidebar mark: error, checking, warning (open or accepted: an accepted warning is still not ✓) or ok."""
        if self.errors:
            return "error"
        if self.checking:
            return "checking"
        return "warning" if self.open_warnings or self.accepted_warnings else "ok"

    @property
    def next_label(self) -> str:
        return "Accept warnings, Next →" if self.open_warnings and not self.blocked else "Next →"

    @property
    def status(self) -> str:
        typed = sum(1 for f in self.errors if f.rule_id == TYPED_VALUE_RULE)
        if typed:
            return f"✗ fix {count(typed, 'field')} to go on"
        if self.errors:
            line = f"✗ {count(len(self.errors), 'error')} {'blocks' if len(self.errors) == 1 else 'block'} this step"
            return line + (" · Ctrl+F fixes" if _fixable(self.errors) else "")
        if self.checking:
            return "… checking the data"
        if self.open_warnings:
            if _fixable(self.open_warnings):
                return f"! {count(len(self.open_warnings), 'warning')}: Ctrl+F fixes, Next accepts"
            return f"! {count(len(self.open_warnings), 'warning')}: read them, then accept with Next"
        if self.accepted_warnings:
            return f"! {count(len(self.accepted_warnings), 'warning')} accepted"
        return "✓ ready"


def _fixable(findings: Iterable[Finding]) -> bool:
    """One of them has a one-key fix (Ctrl+F applies the step's first; the panel has a button for each). Said on
    the status line because at 80x24 the panel's buttons can sit below the fold."""
    return any(finding.changes or finding.retarget for finding in findings)


def step_lights(
    findings: Iterable[Finding],
    keys: Iterable[str],
    field_errors: Mapping[str, str] | None = None,
    accepted: frozenset[str] = frozenset(),
    checking: bool = False,
) -> Lights:
    """The lights of a step editing `keys` (every finding when keys is empty, as on the review step); `checking`
    while the data analysis the step's findings need is still running."""
    keys = set(keys)
    field_errors = dict(field_errors or {})
    stale = {config_key(key) for key in field_errors}
    mine = [f for f in findings if not keys or set(f.fields) & keys]
    current = [f for f in mine if not set(f.fields) & stale]
    typed = [typed_value_finding(key, message) for key, message in field_errors.items()]
    return Lights(findings=(*typed, *current), field_errors=field_errors, accepted=accepted, checking=checking)


def typed_value_finding(key: str, message: str) -> Finding:
    """A value on screen the config cannot take, as a finding, so the panel and the counts include it."""
    return Finding(
        rule_id=TYPED_VALUE_RULE,
        severity="error",
        message=f"{key}: {message}",
        why="The value typed cannot be used for this key; the config keeps the last value that could.",
        fix=f"Change {key} to a valid value, or clear it to use the default.",
        fields=(config_key(key),),
    )


DATA_NOT_ANALYSED_RULE = "wizard.data_not_analysed"
"""rule_id of the finding made from a data analysis that failed (a hub dataset unreachable, a model missing
offline): the analysis is the wizard's, not the catalog's, but its failure must show in every mark."""


def data_not_analysed_finding(reason: str) -> Finding:
    """The analysis failed: a warning (the data may still be readable where the run happens, e.g. a GPU server
    with the hub), so no mark says ✓ about data nobody could read."""
    return Finding(
        rule_id=DATA_NOT_ANALYSED_RULE,
        severity="warning",
        message=f"the data could not be analysed here: {reason}",
        why="Rows dropped, masked or ignored are only known once the data is tokenized; this machine could not "
        "read it, so nothing about it has been checked.",
        fix="fix the path or the model so the data can be read here, or accept this if only the training "
        "machine can read it",
        fields=("datasets",),
    )


def config_key(key: str) -> str:
    """The run-config key a field stands for: a dataset entry's keys (`path`, `type`) live under `datasets`."""
    if key not in RunConfig.model_fields and key in DatasetConfig.model_fields:
        return "datasets"
    return key
