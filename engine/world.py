"""This process's place in a multi-process job, read from the launcher's environment in one place.

torchrun and accelerate tell each process the job's size and its rank through environment variables; the data
preparation (sharding), the engine (who writes events) and the command line (whether to start ranks itself) all
ask here. It imports nothing from ft-tui, so any layer can use it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

WORLD_SIZE_ENV = "WORLD_SIZE"
RANK_ENV = "RANK"


def world_size() -> int:
    """Processes in this job, from the launcher's environment (1 for a plain `python -m engine.train`)."""
    return int(os.environ.get(WORLD_SIZE_ENV, "1") or 1)


def rank() -> int:
    return int(os.environ.get(RANK_ENV, "0") or 0)


def started_by_a_launcher(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a launcher (torchrun, accelerate) started this process as one rank of a job."""
    return WORLD_SIZE_ENV in (os.environ if environ is None else environ)
