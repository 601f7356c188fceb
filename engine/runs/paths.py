"""Every file name ft-tui gives inside a run folder, and every user folder it keeps things in.

The one owner of these names: the engine that writes the files, the launcher, the runs list, the monitor and the
wizard all import them from here (tests/test_one_owner.py checks that no other module spells a run-folder file
name). It imports nothing from ft-tui, so any module can use it.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ft-tui"
"""The folder name under the platform's user data, config and cache folders."""

# Files in a run folder (the config's output_dir).
CONFIG_FILE = "config.yml"
"""The effective config engine.train writes beside its results (auto-set values applied); also the name the
wizard suggests when it saves a new config."""
MODEL_CARD_FILE = "README.md"
"""The model card engine.train writes beside the adapter (what was trained on what, and how it ended)."""
RUN_CONFIG_FILE = "run_config.yml"
"""The exact config a detached run was started with (overrides applied), so a resume trains the same thing."""
CONFIG_COPIES = (RUN_CONFIG_FILE, CONFIG_FILE, "config.yaml")
"""Where a run folder keeps its copy of the config, best first: the launcher's copy, then the engine's, then the
other name people give a config they put beside a run by hand."""
EVENTS_FILE = "events.jsonl"
"""The typed JSON-lines events of the run (engine.events): the monitor's only source."""
RUN_INFO_FILE = "run.json"
"""How the run was launched (command, working folder, pid), so the folder alone is enough to resume it."""
CONSOLE_FILE = "console.log"
"""The engine's stdout and stderr: where a traceback lands when the engine dies before it can write an event."""
LOG_FILE = "log.txt"
"""The engine's own human log (written by engine.train)."""
LOCK_FILE = "run.lock"
"""Present while an engine runs in the folder: its pid and start time (engine.runs.lock)."""

# User folders; each has an environment variable that overrides it (tests point them at temporary folders).
DATA_DIR_ENV = "FT_TUI_DATA_DIR"
"""Overrides the user data folder (the runs registry)."""
CONFIG_DIR_ENV = "FT_TUI_CONFIG_DIR"
"""Overrides the user config folder (user presets)."""
CACHE_DIR_ENV = "FT_TUI_CACHE_DIR"
"""Overrides the cache folder (converted models, prepared data)."""


def data_dir() -> Path:
    """The user data folder, e.g. ~/.local/share/ft-tui on Linux."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def config_dir() -> Path:
    """The user config folder, e.g. ~/.config/ft-tui on Linux."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def cache_dir() -> Path:
    """The ft-tui cache folder, e.g. ~/.cache/ft-tui on Linux."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME))


def registry_dir() -> Path:
    """One small JSON file per run folder, so two launches never race on one shared file."""
    return data_dir() / "runs"


def presets_dir() -> Path:
    """The user's own presets."""
    return config_dir() / "presets"


def config_copy(run_dir: Path) -> Path | None:
    """The run folder's copy of its config (the first of CONFIG_COPIES there), or None when it has none."""
    return next((run_dir / name for name in CONFIG_COPIES if (run_dir / name).is_file()), None)
