"""Experiment trackers: Weights & Biases (when `wandb_project` is set) and TensorBoard, through the Trainer."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from engine.config import RunConfig
from engine.train.errors import TrainError
from engine.wandb_access import INSTALL_FIX, KEY_FIX, needs_wandb_key, wandb_installed

WANDB_ENV = {
    "wandb_project": "WANDB_PROJECT",
    "wandb_entity": "WANDB_ENTITY",
    "wandb_watch": "WANDB_WATCH",
    "wandb_run_id": "WANDB_RUN_ID",
    "wandb_mode": "WANDB_MODE",
    "wandb_log_model": "WANDB_LOG_MODEL",
}
"""Config keys -> the environment variables the Trainer's W&B integration reads."""


def report_to(config: RunConfig, *, ask: Callable[[str], str] = getpass.getpass) -> list[str]:
    """The Trainer's `report_to` list; sets up W&B's environment and its API key when needed."""
    targets = []
    if config.wandb_project:
        setup_wandb(config, ask=ask)
        targets.append("wandb")
    if config.use_tensorboard:
        targets.append("tensorboard")
    return targets


def setup_wandb(config: RunConfig, *, ask: Callable[[str], str] = getpass.getpass) -> None:
    """Export the W&B settings for this process only, asking for the key (hidden input) when none is configured.

    The key is put in this process's environment and nowhere else: never in the config copy, a log or an event.
    """
    if not wandb_installed():
        raise TrainError(f"wandb_project is set but the wandb package is not installed; {INSTALL_FIX}")
    for key, variable in WANDB_ENV.items():
        value = getattr(config, key)
        if value:
            os.environ[variable] = str(value)
    _keep_wandb_output_in_the_run(config)
    if not needs_wandb_key(config):
        return
    if not sys.stdin.isatty():
        raise TrainError(
            f"wandb_project is set but no W&B API key is configured and this run cannot ask for one; {KEY_FIX}"
        )
    key = ask("W&B API key (input hidden; get one at https://wandb.ai/authorize): ").strip()
    if not key:
        raise TrainError("no W&B API key given; export WANDB_API_KEY or remove wandb_project")
    os.environ["WANDB_API_KEY"] = key


WANDB_OUTPUT_ENV = ("WANDB_DIR", "WANDB_SILENT")
"""The variables `_keep_wandb_output_in_the_run` sets (a value the user exported wins)."""


def _keep_wandb_output_in_the_run(config: RunConfig) -> None:
    """W&B writes its run files (an offline run's whole record) under WANDB_DIR, by default ./wandb in whatever
    folder the run was started from: they belong in the run folder beside its checkpoints and events. W&B's own
    terminal lines carry colour codes; when stdout is not a terminal (a detached run's console.log, a pipe) they
    are left out, as ft-tui's own output is."""
    folder = Path(config.output_dir).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("WANDB_DIR", str(folder))
    if not sys.stdout.isatty():
        os.environ.setdefault("WANDB_SILENT", "true")
