"""The errors a user can cause when choosing or loading a model, each with a one-line message and its fix."""

from __future__ import annotations

from engine.errors import FtTuiError


class ModelResolutionError(FtTuiError):
    """`base_model` cannot be turned into a local model folder; the message says why and how to fix it."""


class ModelLoadError(FtTuiError):
    """A resolved model folder cannot be loaded as asked (bad dtype name, no weights); the message says the fix."""


class UnknownTargetModuleError(FtTuiError, ValueError):
    """A LoRA target module is not a linear layer of this model family; the message lists the valid names."""


class UnsupportedArchitectureError(FtTuiError, ValueError):
    """ft-tui has no layer table for this model type, so LoRA sizes and memory cannot be estimated."""
