"""From the facts to verdicts: which devices, attention backends, precisions, quantisation modes and distributed
engines work here, which installed packages clash, and the command that fixes each."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from engine.doctor.compat import (
    BF16_MIN_CAPABILITY,
    CUDA_WHEEL_INDEX,
    FLASH_ATTN_MIN_CAPABILITY,
    FSDP2_MIN_TORCH,
    SDPA_MIN_TORCH,
    TEXTUAL_SERVE_INSTALL,
    XFORMERS_TORCH,
)
from engine.doctor.facts import Environment

FLASH_INSTALL = "pip install flash-attn --no-build-isolation"
"""flash-attn compiles against the installed torch; build isolation would compile it against another one."""

Group = Literal["device", "attention", "precision", "quantization", "distributed", "interface"]


@dataclass(frozen=True)
class Capability:
    """One thing a config can ask for (`attn_implementation: sdpa`, `bf16`, `load_in_4bit`, ...) and whether
    this machine can do it; when not, why, and the fix (a pip command where one exists)."""

    group: Group
    name: str
    works: bool
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class Problem:
    """Two installed things that do not work together."""

    message: str
    fix: str


@dataclass(frozen=True)
class Diagnosis:
    environment: Environment
    capabilities: list[Capability] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def works(self, name: str) -> bool:
        return any(item.name == name and item.works for item in self.capabilities)

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment.to_dict(),
            "capabilities": [asdict(item) for item in self.capabilities],
            "problems": [asdict(item) for item in self.problems],
        }


def diagnose(env: Environment) -> Diagnosis:
    cuda = _cuda(env)
    capabilities = [
        Capability("device", "cpu", True, f"{env.cpu_cores} cores"),
        cuda,
        *_attention(env, cuda.works),
        *_precisions(env, cuda.works),
        *_quantization(env, cuda.works),
        *_distributed(env, cuda.works),
        _serve(env),
    ]
    return Diagnosis(env, capabilities, _problems(env))


def _serve(env: Environment) -> Capability:
    """`ft-tui serve` (the app as a web page) works wherever textual-serve is installed."""
    version = env.version("textual-serve")
    if version is None:
        return Capability("interface", "serve", False, "textual-serve is not installed", TEXTUAL_SERVE_INSTALL)
    return Capability("interface", "serve", True, f"`ft-tui serve`: the app in a browser (textual-serve {version})")


def _base_version(version: str | None) -> Version | None:
    """`2.13.0+cpu` -> 2.13.0 (the local build tag never decides compatibility)."""
    if version is None:
        return None
    try:
        return Version(Version(version).base_version)
    except InvalidVersion:
        return None


def _torch_at_least(env: Environment, minimum: str) -> bool:
    torch = _base_version(env.torch)
    return torch is not None and torch >= Version(minimum)


def _min_capability(env: Environment) -> tuple[int, int] | None:
    return min((gpu.capability for gpu in env.gpus), default=None)


def _cuda_torch_fix(env: Environment) -> str:
    torch = _base_version(env.torch)
    pinned = f"torch=={torch}" if torch else "torch"
    return f"pip install --force-reinstall {pinned} --index-url {CUDA_WHEEL_INDEX}"


def _cuda(env: Environment) -> Capability:
    if env.torch is None:
        return Capability("device", "cuda", False, "torch is not installed", _cuda_torch_fix(env))
    if not env.gpus:
        return Capability(
            "device",
            "cuda",
            False,
            "no NVIDIA GPU found (no driver, or nvidia-smi is missing)",
            "train on a machine with an NVIDIA GPU; check a config for one with `ft-tui validate --device cuda`",
        )
    if env.torch_cuda is None:
        return Capability(
            "device", "cuda", False, f"torch {env.torch} is a CPU build, but a GPU is present", _cuda_torch_fix(env)
        )
    names = ", ".join(
        f"{gpu.name} ({gpu.memory_gb:.0f} GB, sm {gpu.capability[0]}.{gpu.capability[1]})" for gpu in env.gpus
    )
    return Capability("device", "cuda", True, f"CUDA {env.torch_cuda}: {names}")


def _needs_cuda(cuda_works: bool, env: Environment, install: str | None = None) -> str | None:
    """The fix for a feature that needs CUDA: the CUDA build of torch where a GPU exists; else what to install on
    a machine that has one."""
    if cuda_works:
        return None
    if env.gpus:
        return _cuda_torch_fix(env) + (f", then {install}" if install else "")
    return f"on a machine with an NVIDIA GPU: {install}" if install else "needs a machine with an NVIDIA GPU"


def _attention(env: Environment, cuda_works: bool) -> list[Capability]:
    sdpa = _torch_at_least(env, SDPA_MIN_TORCH)
    items = [
        Capability("attention", "eager", env.torch is not None, "plain PyTorch attention (slowest, always there)"),
        Capability(
            "attention",
            "sdpa",
            sdpa,
            "torch's scaled_dot_product_attention" if sdpa else f"needs torch >= {SDPA_MIN_TORCH}",
            None if sdpa else f"pip install 'torch>={SDPA_MIN_TORCH}'",
        ),
    ]
    items.append(_flash_attention(env, cuda_works))
    items.append(_xformers(env, cuda_works))
    return items


def _flash_attention(env: Environment, cuda_works: bool) -> Capability:
    name, version = "flash_attention_2", env.version("flash-attn")
    capability = _min_capability(env)
    if not cuda_works:
        return Capability(
            "attention",
            name,
            False,
            "flash-attn needs a CUDA GPU (Ampere or newer)",
            _needs_cuda(cuda_works, env, FLASH_INSTALL),
        )
    if capability is not None and capability < FLASH_ATTN_MIN_CAPABILITY:
        return Capability(
            "attention",
            name,
            False,
            f"flash-attn 2 has no kernels for compute capability {capability[0]}.{capability[1]} (needs 8.0+)",
            "use attn_implementation: sdpa (or xformers) on this GPU",
        )
    if version is None:
        return Capability("attention", name, False, "flash-attn is not installed", FLASH_INSTALL)
    return Capability("attention", name, True, f"flash-attn {version}")


def xformers_for_torch(torch_version: str | None) -> str | None:
    """The newest xformers release whose wheel accepts this torch, from the table in compat."""
    torch = _base_version(torch_version)
    if torch is None:
        return None
    fitting = [release for release, spec in XFORMERS_TORCH.items() if torch in SpecifierSet(spec)]
    return max(fitting, key=Version, default=None)


def _xformers_pin(version: str) -> str | None:
    """The torch requirement of an installed xformers release; None for releases the table does not know."""
    return XFORMERS_TORCH.get(version)


def _xformers(env: Environment, cuda_works: bool) -> Capability:
    version = env.version("xformers")
    match = xformers_for_torch(env.torch)
    install = f"pip install xformers=={match}" if match else "pip install xformers (the release built for your torch)"
    if not cuda_works:
        return Capability(
            "attention",
            "xformers",
            False,
            "xformers' attention kernels need a CUDA GPU",
            _needs_cuda(cuda_works, env, install),
        )
    if version is None:
        return Capability("attention", "xformers", False, "xformers is not installed", install)
    pin = _xformers_pin(version)
    torch = _base_version(env.torch)
    if pin is not None and torch is not None and torch not in SpecifierSet(pin):
        return Capability("attention", "xformers", False, f"xformers {version} needs torch{pin}", install)
    return Capability("attention", "xformers", True, f"xformers {version}")


def _precisions(env: Environment, cuda_works: bool) -> list[Capability]:
    capability = _min_capability(env)
    ampere = cuda_works and capability is not None and capability >= BF16_MIN_CAPABILITY
    if cuda_works:
        bf16 = Capability(
            "precision",
            "bf16",
            ampere,
            "native on this GPU" if ampere else "this GPU has no bf16 tensor cores (before Ampere)",
            None if ampere else "use fp16: true instead",
        )
    else:
        speed = "native on this CPU (AVX512-BF16/AMX)" if env.cpu_bf16 else "emulated on this CPU, slower than fp32"
        bf16 = Capability("precision", "bf16", env.torch is not None, f"on the CPU: {speed}")
    return [
        Capability("precision", "fp32", env.torch is not None, "always available"),
        bf16,
        Capability(
            "precision",
            "fp16",
            cuda_works,
            "mixed precision with loss scaling on the GPU" if cuda_works else "fp16 training needs a CUDA GPU",
            _needs_cuda(cuda_works, env),
        ),
        Capability(
            "precision",
            "tf32",
            ampere,
            "TensorFloat-32 matmuls" if ampere else "needs an Ampere or newer GPU",
            None if ampere else _needs_cuda(cuda_works, env) or "not on this GPU; leave tf32 unset",
        ),
    ]


def _quantization(env: Environment, cuda_works: bool) -> list[Capability]:
    version = env.version("bitsandbytes")
    if not cuda_works:
        fix = _needs_cuda(cuda_works, env, "pip install bitsandbytes")
        detail, works = "bitsandbytes 4/8-bit training needs a CUDA GPU", False
    elif version is None:
        detail, fix, works = "bitsandbytes is not installed", "pip install bitsandbytes", False
    else:
        detail, fix, works = f"bitsandbytes {version}", None, True
    return [
        Capability("quantization", "qlora (load_in_4bit)", works, detail, fix),
        Capability("quantization", "load_in_8bit", works, detail, fix),
    ]


def _distributed(env: Environment, cuda_works: bool) -> list[Capability]:
    version = env.version("deepspeed")
    if not cuda_works:
        deepspeed = Capability(
            "distributed",
            "deepspeed",
            False,
            "DeepSpeed ZeRO needs CUDA GPUs",
            _needs_cuda(cuda_works, env, "pip install deepspeed"),
        )
    elif version is None:
        deepspeed = Capability("distributed", "deepspeed", False, "deepspeed is not installed", "pip install deepspeed")
    else:
        deepspeed = Capability("distributed", "deepspeed", True, f"deepspeed {version}")
    fsdp2 = cuda_works and _torch_at_least(env, FSDP2_MIN_TORCH)
    return [
        Capability(
            "distributed",
            "ddp",
            env.torch is not None,
            "nccl between GPUs" if cuda_works else "gloo between CPU processes (torchrun / ft-tui train --nproc N)",
        ),
        deepspeed,
        Capability(
            "distributed",
            "fsdp2",
            fsdp2,
            f"torch {env.torch}" if fsdp2 else f"FSDP2 needs CUDA GPUs and torch >= {FSDP2_MIN_TORCH}",
            None if fsdp2 else _needs_cuda(cuda_works, env) or f"pip install 'torch>={FSDP2_MIN_TORCH}'",
        ),
    ]


def _problems(env: Environment) -> list[Problem]:
    """Installed pairs that clash, whatever the config asks for (a broken import can fail a run that never uses it)."""
    problems = []
    xformers = env.version("xformers")
    torch = _base_version(env.torch)
    if xformers is not None and torch is not None:
        pin = _xformers_pin(xformers)
        if pin is not None and torch not in SpecifierSet(pin):
            match = xformers_for_torch(env.torch)
            fix = f"pip install xformers=={match}" if match else f"pip install 'torch{pin}'"
            problems.append(
                Problem(f"xformers {xformers} was built for torch{pin}, but torch {env.torch} is installed", fix)
            )
    flash = env.version("flash-attn")
    if flash is not None and env.torch is not None and env.torch_cuda is None:
        problems.append(
            Problem(
                f"flash-attn {flash} is installed, but torch {env.torch} is a CPU build: it cannot load",
                "pip uninstall -y flash-attn" if not env.gpus else _cuda_torch_fix(env),
            )
        )
    for package in ("transformers", "peft", "accelerate", "datasets"):
        if env.version(package) is None:
            problems.append(Problem(f"{package} is not installed; ft-tui needs it to train", f"pip install {package}"))
    return problems
