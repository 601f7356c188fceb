"""The rule catalog that validates configs, and the hardware target the rules judge against."""

from engine.rules.catalog import CATALOG, Finding, Hit, Rule, Severity, Stage
from engine.rules.check import (
    SEVERITY_ORDER,
    apply_auto_settings,
    apply_changes,
    check_config,
    describe_changes,
    has_errors,
)
from engine.rules.context import RuleContext
from engine.rules.target import DEFAULT_GPU_GIB, Target, declared_target, detect_target

__all__ = [
    "CATALOG",
    "DEFAULT_GPU_GIB",
    "SEVERITY_ORDER",
    "Finding",
    "Hit",
    "Rule",
    "RuleContext",
    "Severity",
    "Stage",
    "Target",
    "apply_auto_settings",
    "apply_changes",
    "check_config",
    "declared_target",
    "describe_changes",
    "detect_target",
    "has_errors",
]
