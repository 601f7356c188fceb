"""Plain records of a run shared by the callbacks and the entry point (no heavy imports).

What the run is (`engine.events.RunFacts`) is declared once, with the started event that carries it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class RunTally:
    """Numbers the final event reports, updated as the run goes."""

    start_time: float = field(default_factory=time.time)
    step: int = 0
    tokens_seen: int = 0
    last_loss: float | None = None
    last_eval_loss: float | None = None
    last_checkpoint: str | None = None
    peak_memory_mb: float | None = None
    """The highest peak a step event reported (see engine.train.memory.peak_memory_mb)."""
    memory_estimate_mb: float | None = None
    """`ft-tui validate`'s estimate for the run, known once the model's facts are."""
