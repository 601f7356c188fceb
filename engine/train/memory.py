"""Memory readings for each step event: cheap calls only, so watching memory never slows the step it measures.

The process's resident memory comes from /proc/self/statm (one small read; the peak from getrusage), and CUDA's
from the caching allocator's own counters (`memory_allocated`, `memory_reserved`, `max_memory_allocated`), which
read host-side statistics and never synchronise the device.
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

from engine.events.schema import GpuMemory

STATM = Path("/proc/self/statm")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MIB = 2**20


def resident_mb() -> float | None:
    """The process's resident memory now, in MiB; None where /proc is not there (macOS, Windows)."""
    try:
        return int(STATM.read_text().split()[1]) * PAGE_BYTES / MIB
    except (OSError, IndexError, ValueError):
        return None


def peak_resident_mb() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MIB if sys.platform == "darwin" else peak / 1024


def gpu_memory() -> list[GpuMemory]:
    """Allocated, reserved and peak memory of each CUDA device this process has used; empty without CUDA."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return []
    return [
        GpuMemory(
            device=index,
            allocated_mb=torch.cuda.memory_allocated(index) / MIB,
            reserved_mb=torch.cuda.memory_reserved(index) / MIB,
            peak_mb=torch.cuda.max_memory_allocated(index) / MIB,
        )
        for index in range(torch.cuda.device_count())
        if torch.cuda.memory_reserved(index) > 0
    ]


def peak_memory_mb(gpus: list[GpuMemory] | None = None) -> float:
    """The run's peak in the memory that limits it: allocated GPU memory on CUDA, else the process's resident memory."""
    gpus = gpu_memory() if gpus is None else gpus
    if gpus:
        return max(gpu.peak_mb for gpu in gpus)
    return peak_resident_mb()
