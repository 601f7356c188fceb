"""The rule catalog before a run: refuse on errors, report warnings, apply and log the auto-set values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.config import RunConfig
from engine.rules import Finding, Stage, Target, apply_auto_settings, check_config, declared_target, detect_target
from engine.train.errors import TrainError
from engine.train.reporter import Reporter
from engine.wording import count

if TYPE_CHECKING:
    from engine.data.stats import DataFacts
    from engine.models import ModelFacts


def pick_target(device: str | None) -> Target:
    """This machine as detected; `--device cpu` trains on the CPU even where a GPU exists."""
    detected = detect_target()
    if device is None or device == detected.device:
        return detected
    if device == "cpu":
        return declared_target("cpu")
    raise TrainError(
        f"--device {device}: no {device.upper()} device found here ({detected.describe()}); use --device cpu"
    )


def run_rules(
    config: RunConfig,
    target: Target,
    reporter: Reporter,
    *,
    facts: ModelFacts | None = None,
    data: DataFacts | None = None,
    stages: tuple[Stage, ...] = ("static", "preflight"),
) -> tuple[RunConfig, list[Finding]]:
    """The config the engine runs, and the auto-set findings applied to it (for the config copy's header)."""
    findings = check_config(config, target, facts=facts, data=data, stages=stages)
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        lines = "; ".join(f"{finding.rule_id}: {finding.message}" for finding in errors)
        raise TrainError(f"the config has {count(len(errors), 'error')}: {lines}", findings=errors)
    for finding in findings:
        if finding.severity == "warning":
            reporter.warning(finding.message, rule_id=finding.rule_id)
    automatic = [finding for finding in findings if finding.severity == "auto"]
    for finding in automatic:
        reporter.log(f"{finding.rule_id}: {finding.message}")
    return apply_auto_settings(config, automatic), automatic
