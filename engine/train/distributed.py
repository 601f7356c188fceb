"""The few facts and collectives a data-parallel run (torchrun, `accelerate launch --multi_gpu`) needs outside the
Trainer: which process this is, who writes the run's files, and one agreed answer where ranks could disagree."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from engine.world import rank, started_by_a_launcher, world_size

DEFAULT_DDP_TIMEOUT_S = 1800
"""transformers' default `ddp_timeout`; the process group made here must match the one the Trainer would make."""


def is_main_process() -> bool:
    """Rank 0 (or the only process) writes events, logs, the config copy, checkpoints and the console summary."""
    return rank() == 0


MPI_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def single_process_surprise() -> str | None:
    """The warning for `accelerate launch --cpu --num_processes N`, which silently starts one process.

    accelerate leaves several CPU processes to `mpirun`; its simple launcher then sets MASTER_ADDR (as for a
    group) but starts this one process, with no WORLD_SIZE. The run would train as one process without a word.
    """
    environ = os.environ
    if environ.get("ACCELERATE_USE_CPU", "").lower() not in ("true", "1") or "MASTER_ADDR" not in environ:
        return None
    if started_by_a_launcher(environ) or any(name in environ for name in MPI_SIZE_VARIABLES):
        return None
    return (
        "accelerate launch --cpu started only this one process (accelerate leaves several CPU processes to "
        "mpirun); for N processes use `ft-tui train CONFIG --nproc N`, `torchrun --standalone --nproc_per_node N "
        "-m engine.train CONFIG` or `accelerate launch --multi_gpu --num_processes N -m engine.train CONFIG`"
    )


@contextmanager
def main_process_first(device: str, timeout_s: int | None = None) -> Iterator[None]:
    """Rank 0 runs the block (a model download, tokenizing into the data cache) before the others start it, so they
    reuse its result instead of racing to write the same cache folder. A no-op for a single process.

    The process group is created here, with the device's backend (gloo on CPU, nccl on CUDA) and the config's
    timeout, exactly as the Trainer would create it later; the Trainer then reuses it.
    """
    if world_size() <= 1:
        yield
        return
    from accelerate import PartialState

    state = PartialState(cpu=device == "cpu", timeout=timedelta(seconds=timeout_s or DEFAULT_DDP_TIMEOUT_S))
    with state.main_process_first():
        yield


def any_process(flag: bool, device: Any) -> bool:
    """True on every rank when it is True on any rank: a stop asked of one rank stops all of them at the same step
    (a rank that trained on alone would wait forever for the others in its next gradient all-reduce)."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() <= 1:
        return flag
    tensor = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def wait_for_all() -> None:
    """Every rank waits here until all have arrived (after rank 0 did work alone, such as generating sample answers);
    a no-op for a single process. The wait is bounded by the process group's timeout (`ddp_timeout`)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()
