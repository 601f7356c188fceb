"""Running the catalog over a config, applying the values that auto-set rules chose, and applying a fix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.config import RunConfig, parse_config_dict
from engine.rules import definitions  # noqa: F401  (registers every rule in the catalog)
from engine.rules.catalog import CATALOG, Engine, Finding, Stage, render
from engine.rules.context import RuleContext
from engine.rules.target import Target, detect_target

if TYPE_CHECKING:
    from engine.data.stats import DataFacts
    from engine.models.facts import ModelFacts

SEVERITY_ORDER = {"error": 0, "warning": 1, "auto": 2, "note": 3}


def check_config(
    config: RunConfig,
    target: Target | None = None,
    *,
    facts: ModelFacts | None = None,
    data: DataFacts | None = None,
    stages: tuple[Stage, ...] = ("static", "preflight"),
    world_size: int = 1,
    engine: Engine = "ft-tui",
) -> list[Finding]:
    """Every finding for a config, errors first. Preflight rules only speak when their facts are given.

    Judged for axolotl (`engine="axolotl"`), rules about ft-tui's own engine stay silent, and so do auto-set
    rules: those are values ft-tui's engine chooses, which axolotl does not."""
    context = RuleContext(config, target or detect_target(), facts, data, world_size, engine)
    findings = []
    for rule_ in CATALOG.values():
        if rule_.stage not in stages or engine not in rule_.engines:
            continue
        if engine == "axolotl" and rule_.severity == "auto":
            continue
        hit = rule_.check(context)
        if hit is not None:
            findings.append(render(rule_, hit))
    return sorted(findings, key=lambda finding: SEVERITY_ORDER[finding.severity])


def has_errors(findings: list[Finding]) -> bool:
    return any(finding.severity == "error" for finding in findings)


def apply_auto_settings(config: RunConfig, findings: list[Finding]) -> RunConfig:
    """The config the engine actually runs: the user's values plus what auto-set rules chose.

    The user's file is never rewritten with these; they are logged and recorded in the run's config copy.
    """
    changes = {key: value for finding in findings for key, value in finding.auto_set.items()}
    if not changes:
        return config
    data = config.model_dump(exclude_unset=True)
    data.update(changes)
    return parse_config_dict(data, source="auto-set values")


def apply_changes(config: RunConfig, changes: Mapping[str, Any]) -> RunConfig:
    """The config with a finding's `changes` applied (None removes the key), validated like a YAML file.

    Raises ConfigError when the result is not a valid config, so a fix is never applied half-way."""
    data = config.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return parse_config_dict(data, source="the suggested fix")


def describe_changes(changes: Mapping[str, Any], between: str = ": ") -> str:
    """`eval_sample_packing: false, warmup_steps: (removed)`: what applying a fix does, in YAML's spelling
    (`between=" → "` for a button's label)."""
    return ", ".join(f"{key}{between}{_yaml_value(value)}" for key, value in changes.items())


def _yaml_value(value: Any) -> str:
    if value is None:
        return "(removed)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
