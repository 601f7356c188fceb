"""`ft-tui doctor`: what this machine's Python environment can train with, what clashes, and how to fix it."""

from engine.doctor.facts import Environment, Gpu, gather
from engine.doctor.verdicts import Capability, Diagnosis, Problem, diagnose, xformers_for_torch


def diagnose_here() -> Diagnosis:
    """The diagnosis of this machine (fast: no heavy library is imported)."""
    return diagnose(gather())


__all__ = [
    "Capability",
    "Diagnosis",
    "Environment",
    "Gpu",
    "Problem",
    "diagnose",
    "diagnose_here",
    "gather",
    "xformers_for_torch",
]
