"""Plain records of a run shared by the callbacks and the entry point (no heavy imports)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunFacts:
    """What the started event says about the run, known before the Trainer begins."""

    run_name: str
    config: dict[str, Any]
    device: str
    dtype: str
    attn_implementation: str
    params_total: int
    params_trainable: int
    num_epochs: float
    dataset: dict[str, Any] = field(default_factory=dict)
    resumed_from: str | None = None
    pid: int | None = None


@dataclass
class RunTally:
    """Numbers the final event reports, updated as the run goes."""

    start_time: float = field(default_factory=time.time)
    step: int = 0
    tokens_seen: int = 0
    last_loss: float | None = None
    last_eval_loss: float | None = None
    last_checkpoint: str | None = None
