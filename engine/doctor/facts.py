"""This machine's software and hardware, read without importing torch or any other heavy library.

Installed versions come from package metadata (importlib.metadata); the CUDA version torch was built for from
torch's own `version.py` file; GPUs from `nvidia-smi`. So `ft-tui doctor` answers in a fraction of a second.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.doctor.compat import PACKAGES
from engine.rules.target import cpu_cores, cpu_has_bf16, nvidia_gpus


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_gb: float
    capability: tuple[int, int]


@dataclass(frozen=True)
class Environment:
    """Everything the verdicts are drawn from; tests build one by hand to judge other machines."""

    python: str
    platform: str
    torch: str | None
    """The installed torch version, local tag included (`2.13.0+cpu`); None when torch is missing."""
    torch_cuda: str | None = None
    """The CUDA version torch was built for; None for a CPU (or ROCm) build."""
    gpus: tuple[Gpu, ...] = ()
    cpu_cores: int = 1
    cpu_bf16: bool = False
    """Native bf16 maths on this CPU (AVX512-BF16 or AMX)."""
    packages: dict[str, str | None] = field(default_factory=dict)
    """Distribution name -> installed version, None when not installed."""

    def version(self, package: str) -> str | None:
        return self.packages.get(package)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def gather() -> Environment:
    return Environment(
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        torch=installed_version("torch"),
        torch_cuda=torch_cuda_version(),
        gpus=tuple(
            Gpu(index, name, memory, capability) for index, (name, memory, capability) in enumerate(nvidia_gpus())
        ),
        cpu_cores=cpu_cores(),
        cpu_bf16=cpu_has_bf16(),
        packages={name: installed_version(name) for name in PACKAGES},
    )


def installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


_CUDA_LINE = re.compile(r"^cuda\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def torch_cuda_version() -> str | None:
    """`torch.version.cuda` without importing torch: the line `cuda = '12.8'` in torch/version.py."""
    if "torch" in sys.modules:
        return getattr(getattr(sys.modules["torch"], "version", None), "cuda", None)
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text(encoding="utf-8")
    except OSError:
        return None
    match = _CUDA_LINE.search(text)
    return match.group(1) if match else None
