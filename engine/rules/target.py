"""The hardware a config is judged against: this machine as detected, or a declared target like a GPU server.

Detection never imports torch: `ft-tui validate` must answer in well under a second. CUDA is seen through the
NVIDIA driver's files and `nvidia-smi`; CPU bf16 support through /proc/cpuinfo's flags.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from engine.wording import gib

DeviceKind = Literal["cpu", "cuda", "mps"]


@dataclass(frozen=True)
class Target:
    """What the run will have: device, its features and the optional CUDA libraries."""

    device: DeviceKind
    declared: bool = False
    """True when the user named the target (`--device cuda`) instead of it being detected."""
    bf16: bool = False
    gpu_name: str | None = None
    gpu_memory_gb: float | None = None
    cuda_capability: tuple[int, int] | None = None
    has_flash_attn: bool = False
    has_xformers: bool = False
    has_bitsandbytes: bool = False
    cpu_cores: int = 1
    memory_gb: float | None = None

    def describe(self) -> str:
        """One line for headers and logs: what we judge against and whether it was detected or declared."""
        how = "declared" if self.declared else "detected"
        if self.device == "cuda":
            gpu = self.gpu_name or "CUDA GPU"
            memory = f", {gib(self.gpu_memory_gb)}" if self.gpu_memory_gb else ""
            return f"{gpu}{memory} ({how})"
        bf16 = "with bf16" if self.bf16 else "no bf16"
        return f"{self.device.upper()}, {self.cpu_cores} cores, {bf16} ({how})"


def detect_target() -> Target:
    """This machine, as far as can be told without importing torch."""
    return _detect_cached()


@cache
def _detect_cached() -> Target:
    libs = _cuda_libraries()
    gpu = _nvidia_gpu()
    common: dict[str, Any] = {"cpu_cores": cpu_cores(), "memory_gb": _memory_gb(), **libs}
    if gpu is not None:
        name, memory_gb, capability = gpu
        return Target(
            device="cuda",
            bf16=capability >= (8, 0),
            gpu_name=name,
            gpu_memory_gb=memory_gb,
            cuda_capability=capability,
            **common,
        )
    return Target(device="cpu", bf16=cpu_has_bf16(), **common)


DEFAULT_GPU_GIB = 24.0
"""The memory of a declared CUDA GPU when none is given (`--gpu-memory`, the wizard's GPU memory box): a common
single card (RTX 3090/4090, A10G), the size the GPU presets are written for. A config that fits it fits more."""


def declared_target(device: DeviceKind, gpu_memory_gb: float | None = None) -> Target:
    """A target the user names for a config meant for another machine.

    `cuda` assumes a current GPU (Ampere or newer, bf16) with `gpu_memory_gb` (default DEFAULT_GPU_GIB) and
    flash-attn, xformers and bitsandbytes installed, since that is what such configs are written for; the run
    itself still re-checks the real hardware before it starts.
    """
    if device == "cuda":
        return Target(
            device="cuda",
            declared=True,
            bf16=True,
            gpu_name="CUDA GPU",
            gpu_memory_gb=gpu_memory_gb or DEFAULT_GPU_GIB,
            cuda_capability=(8, 0),
            has_flash_attn=True,
            has_xformers=True,
            has_bitsandbytes=True,
            cpu_cores=16,
        )
    detected = detect_target()
    if device == "cpu":
        return replace(detected, device="cpu", declared=True, gpu_name=None, gpu_memory_gb=None, cuda_capability=None)
    return Target(device="mps", declared=True, bf16=True, cpu_cores=detected.cpu_cores)


def _cuda_libraries() -> dict[str, bool]:
    return {
        "has_flash_attn": importlib.util.find_spec("flash_attn") is not None,
        "has_xformers": importlib.util.find_spec("xformers") is not None,
        "has_bitsandbytes": importlib.util.find_spec("bitsandbytes") is not None,
    }


def _nvidia_gpu() -> tuple[str, float, tuple[int, int]] | None:
    gpus = nvidia_gpus()
    return gpus[0] if gpus else None


def nvidia_gpus() -> list[tuple[str, float, tuple[int, int]]]:
    """Every NVIDIA GPU as (name, memory GB, compute capability), from `nvidia-smi`; empty without a driver."""
    if not Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi") is None:
        return []
    query = ["nvidia-smi", "--query-gpu=name,memory.total,compute_cap", "--format=csv,noheader,nounits"]
    try:
        output = subprocess.run(query, capture_output=True, text=True, timeout=5, check=True).stdout
        gpus = []
        for line in output.splitlines():
            if not line.strip():
                continue
            name, memory_mb, capability = (part.strip() for part in line.split(","))
            major, minor = capability.split(".")
            gpus.append((name, float(memory_mb) / 1024, (int(major), int(minor))))
        return gpus
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return []


def cpu_has_bf16() -> bool:
    """Native bf16 maths (AVX512-BF16 or AMX) makes bf16 training about 1.8x faster than fp32 on a CPU."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def cpu_cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        return None
    return None
