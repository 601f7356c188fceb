"""What a rule may look at: the config, the target hardware, and (in preflight) model facts and data facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.config import RunConfig
from engine.rules.catalog import Engine
from engine.rules.target import Target

if TYPE_CHECKING:
    from engine.data.stats import DataFacts
    from engine.models.facts import ModelFacts


@dataclass(frozen=True)
class RuleContext:
    """Everything a check may read. Preflight rules return None while `facts` or `data` are not known yet."""

    config: RunConfig
    target: Target
    facts: ModelFacts | None = None
    data: DataFacts | None = None
    world_size: int = 1
    engine: Engine = "ft-tui"
    """The trainer the config is judged for."""
