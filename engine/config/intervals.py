"""When evaluations and checkpoints happen, from a config: axolotl's precedence, decided once.

Below both the engine (the Trainer's arguments) and the rule catalog (the disk rule counts the checkpoints a run
keeps), so rules judge configs without reaching into the training package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.config.run_config import RunConfig


@dataclass(frozen=True)
class Interval:
    """When something happens during training: transformers' strategy and step count, and why."""

    strategy: str
    steps: int | float | None
    reason: str


def eval_interval(config: RunConfig, steps_per_epoch: int, has_eval: bool) -> Interval:
    """axolotl's precedence: evals_per_epoch, then eval_steps, then eval_strategy; with eval data, once an epoch."""
    if not has_eval:
        return Interval("no", None, "no evaluation data")
    return _interval(
        config.evals_per_epoch, config.eval_steps, config.eval_strategy, steps_per_epoch, "evals_per_epoch", "eval"
    )


def save_interval(config: RunConfig, steps_per_epoch: int) -> Interval:
    """Same precedence for checkpoints: saves_per_epoch, save_steps, save_strategy, else once an epoch."""
    return _interval(
        config.saves_per_epoch, config.save_steps, config.save_strategy, steps_per_epoch, "saves_per_epoch", "save"
    )


def _interval(
    per_epoch: int | None,
    steps: int | float | None,
    strategy: str | None,
    steps_per_epoch: int,
    per_epoch_key: str,
    what: str,
) -> Interval:
    if per_epoch == 0:
        return Interval("no", None, f"{per_epoch_key}: 0")
    if per_epoch:
        every = max(1, math.floor(steps_per_epoch / per_epoch))
        return Interval("steps", every, f"{per_epoch_key}: {per_epoch} over {steps_per_epoch} steps an epoch")
    if steps:
        return Interval("steps", steps, f"{what}_steps: {steps:g}")
    if strategy:
        return Interval(strategy, None, f"{what}_strategy: {strategy}")
    return Interval("epoch", None, f"no {what} frequency set: once per epoch")
