"""`--device` and `--gpu-memory`: the machine a config is judged for, the same two flags wherever a config is
checked (`ft-tui validate`, the wizard), with the one default of engine.rules.DEFAULT_GPU_GIB."""

from __future__ import annotations

import argparse

from engine.errors import UsageError
from engine.rules import DEFAULT_GPU_GIB, Target, declared_target

DEVICES = ("cpu", "cuda", "mps")


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device",
        choices=DEVICES,
        help="judge against this target instead of this machine (e.g. cuda for a config meant for a GPU server)",
    )
    parser.add_argument(
        "--gpu-memory",
        type=gib,
        metavar="GiB",
        help=f"memory of the declared CUDA GPU (default {DEFAULT_GPU_GIB:g}); implies --device cuda",
    )


def gib(text: str) -> float:
    """A GPU memory in GiB: a positive number up to 4096."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 4096:
        raise argparse.ArgumentTypeError(f"{text!r} is not a GPU memory in GiB (e.g. 24)")
    return value


def declared_from_args(args: argparse.Namespace) -> Target | None:
    """The target the flags declare, or None when they declare none (judge this machine)."""
    device, memory = getattr(args, "device", None), getattr(args, "gpu_memory", None)
    if memory is not None and device not in (None, "cuda"):
        raise UsageError(f"--gpu-memory is the memory of a CUDA GPU; it does not combine with --device {device}")
    if memory is not None:
        device = "cuda"
    return declared_target(device, memory) if device else None
