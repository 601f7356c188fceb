"""Fixtures: the tiny base and tiny run of the inference tests (a LoRA adapter with random B, no training)."""

from __future__ import annotations

from tests.infer.conftest import tiny_base, tiny_run

__all__ = ["tiny_base", "tiny_run"]
