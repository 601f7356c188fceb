"""Whether Weights & Biases can be used: the client is installed and an API key is configured.

The one owner of these checks: the `wandb.*` rules (what `validate` and the wizard show) and the run's tracker
set-up (engine/train/tracking.py) both call them, so they agree on the problem and on its fix.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from engine.config import RunConfig

INSTALL_FIX = "pip install 'ft-tui[wandb]', or remove wandb_project"
"""How to get the W&B client: it is an optional extra of ft-tui."""

KEY_FIX = "export WANDB_API_KEY=..., or run `wandb login` once, or set wandb_mode: offline"
"""The ways to give W&B a key, or to run without one."""

NO_KEY_MODES = ("offline", "disabled")
"""`wandb_mode` values that upload nothing, so need no key."""


def wandb_installed() -> bool:
    """Whether the W&B client package can be imported (without importing it)."""
    return importlib.util.find_spec("wandb") is not None


def has_wandb_key() -> bool:
    """An API key in `$WANDB_API_KEY`, or the one `wandb login` stores in ~/.netrc."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return "api.wandb.ai" in (Path.home() / ".netrc").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def needs_wandb_key(config: RunConfig) -> bool:
    """This config logs to W&B online and no key is configured yet."""
    return bool(config.wandb_project) and config.wandb_mode not in NO_KEY_MODES and not has_wandb_key()
