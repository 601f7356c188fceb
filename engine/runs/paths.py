"""Where runs live: the user data folder that holds the registry, and the files ft-tui adds to a run folder."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "FT_TUI_DATA_DIR"
"""Overrides the user data folder (tests point it at a temporary folder)."""

RUN_CONFIG_FILE = "run_config.yml"
"""The exact config a detached run was started with (overrides applied), so a resume trains the same thing."""
RUN_INFO_FILE = "run.json"
"""How the run was launched (command, working folder, pid), so the folder alone is enough to resume it."""
CONSOLE_FILE = "console.log"
"""The engine's stdout and stderr: where a traceback lands when the engine dies before it can write an event."""
LOG_FILE = "log.txt"
"""The engine's own human log (written by engine.train)."""
LOCK_FILE = "run.lock"
"""Present while an engine runs in the folder: its pid and start time (engine.runs.lock)."""


def data_dir() -> Path:
    """The user data folder, e.g. ~/.local/share/ft-tui on Linux."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("ft-tui"))


def registry_dir() -> Path:
    """One small JSON file per run folder, so two launches never race on one shared file."""
    return data_dir() / "runs"
