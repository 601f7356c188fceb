"""The rule catalog: every check on a config lives here once, with its message, its why and its fix.

The CLI, the wizard and the trainer's preflight all render findings from this one catalog; nothing is checked
anywhere else. A rule is a small function registered with `@rule(...)`; it returns None when the config is fine,
or a `Hit` with the numbers that went into its message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.wording import closest, did_you_mean

Severity = Literal["error", "warning", "auto", "note"]
"""error: blocks the run; warning: the run may go on; auto: the engine sets a value itself and says which;
note: worth knowing, nothing to decide (an axolotl key ft-tui keeps but does not act on)."""
Stage = Literal["static", "preflight"]
Engine = Literal["ft-tui", "axolotl"]
"""Which trainer a config is judged for: ft-tui's engine, or axolotl (`ft-tui validate --target axolotl`)."""
BOTH_ENGINES: tuple[Engine, ...] = ("ft-tui", "axolotl")
"""static: needs only the config and the target; preflight: also needs model facts or the tokenized data."""


@dataclass(frozen=True)
class Hit:
    """What a rule's check returns when it fires: values for the message template, and any auto-set values."""

    values: dict[str, Any] = field(default_factory=dict)
    auto_set: dict[str, Any] = field(default_factory=dict)
    fields: tuple[str, ...] = ()
    """Keys this particular hit concerns, when narrower than the rule's own `fields`."""
    changes: dict[str, Any] = field(default_factory=dict)
    """The fix as config edits (key -> new value, None removes the key), worked out from the same numbers as the
    message, so the wizard can apply it with one key instead of the user retyping the fix text. Empty when the
    fix needs the user's judgement (a missing file, a token, which of two engines)."""
    retarget: str | None = None
    """The fix as a declared target instead of a config edit (`cuda`): the config is right for another machine,
    so the wizard offers "Train on: a CUDA GPU" and the CLI names `--device cuda`."""


def unknown_choice(value: str, known: Sequence[str], key: str, *, unset_without_match: bool = False) -> Hit | None:
    """The hit for a name that is none of `known`: the value, the choices and the closest of them (`{suggestion}`).
    Its one-key fix sets the closest name; without one, it removes the key where the engine then chooses
    (`unset_without_match`), else it is left to the user."""
    if value in known:
        return None
    match = closest(value, known)
    changes: dict[str, Any] = {key: match} if match else ({key: None} if unset_without_match else {})
    values = {"value": value, "known": ", ".join(known), "suggestion": did_you_mean(value, known)}
    return Hit(values, changes=changes)


@dataclass(frozen=True)
class Rule:
    """One check: id, severity, message template, the why in plain sentences, and the fix."""

    id: str
    severity: Severity
    stage: Stage
    message: str
    why: str
    fix: str
    fields: tuple[str, ...]
    check: Callable[..., Hit | None]
    engines: tuple[Engine, ...] = BOTH_ENGINES
    """The engines this rule judges for: a limit of ft-tui's own engine says nothing about a run under axolotl."""
    mechanical: bool = False
    """True when its hits carry `changes` that apply the fix (docs/rules.md marks these)."""


@dataclass(frozen=True)
class Finding:
    """A rule that fired on a config, rendered with the config's own numbers."""

    rule_id: str
    severity: Severity
    message: str
    why: str
    fix: str
    fields: tuple[str, ...]
    auto_set: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    """Config edits that apply the fix (key -> new value, None removes the key); empty when there is none."""
    retarget: str | None = None
    """The device to judge against instead (Hit.retarget), when that is the fix."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.rule_id,
            "severity": self.severity,
            "message": self.message,
            "why": self.why,
            "fix": self.fix,
            "fields": list(self.fields),
            "auto_set": self.auto_set,
            "changes": self.changes,
            "retarget": self.retarget,
        }


CATALOG: dict[str, Rule] = {}


def rule(
    id: str,
    severity: Severity,
    message: str,
    why: str,
    fix: str,
    fields: tuple[str, ...],
    stage: Stage = "static",
    engines: tuple[Engine, ...] = BOTH_ENGINES,
    mechanical: bool = False,
) -> Callable[[Callable[..., Hit | None]], Callable[..., Hit | None]]:
    """Register a check in the catalog. Texts are `str.format` templates filled from the Hit's values.

    `mechanical=True` says the check's hits carry `changes` (the fix as config edits); only such rules may."""

    def register(check: Callable[..., Hit | None]) -> Callable[..., Hit | None]:
        if id in CATALOG:
            raise ValueError(f"rule {id} is registered twice")
        CATALOG[id] = Rule(id, severity, stage, message, _squash(why), fix, fields, check, engines, mechanical)
        return check

    return register


def render(rule_: Rule, hit: Hit) -> Finding:
    """Fill the rule's texts with the numbers from this hit."""
    values = dict(hit.values)
    if hit.changes and not rule_.mechanical:
        raise ValueError(f"rule {rule_.id} returns changes but is not registered with mechanical=True")
    return Finding(
        rule_id=rule_.id,
        severity=rule_.severity,
        message=rule_.message.format(**values),
        why=rule_.why.format(**values),
        fix=rule_.fix.format(**values),
        fields=hit.fields or rule_.fields,
        auto_set=dict(hit.auto_set),
        changes=dict(hit.changes),
        retarget=hit.retarget,
    )


def _squash(text: str) -> str:
    """Why-texts are written as indented triple-quoted paragraphs; show them as one flowing paragraph."""
    return " ".join(text.split())
