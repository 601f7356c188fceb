"""Which machine each saved config is meant for, kept in the user's data folder: the YAML stays a file axolotl
reads, and reopening it in the wizard judges it for the same machine again."""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic import write_text_atomic
from engine.rules import Target, declared_target
from engine.runs.paths import data_dir

FILE_NAME = "wizard-targets.json"


def _store() -> Path:
    return data_dir() / FILE_NAME


def _read() -> dict[str, dict[str, object]]:
    try:
        data = json.loads(_store().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: every file is judged for this machine until a target is chosen
    return data if isinstance(data, dict) else {}


def remembered_target(config_file: Path) -> Target | None:
    """The declared target last chosen for `config_file`, or None (judge this machine)."""
    entry = _read().get(str(config_file.resolve()))
    if not isinstance(entry, dict) or entry.get("device") != "cuda":
        return None
    memory = entry.get("gpu_memory_gb")
    return declared_target("cuda", float(memory) if isinstance(memory, (int, float)) else None)


def remember_target(config_file: Path, target: Target) -> None:
    """Keep `target` for `config_file` (a declared CUDA GPU), or forget it (this machine). Best effort: a data
    folder that cannot be written costs only the memory, never the save."""
    data = _read()
    key = str(config_file.resolve())
    if target.declared and target.device == "cuda":
        data[key] = {"device": "cuda", "gpu_memory_gb": target.gpu_memory_gb}
    elif data.pop(key, None) is None:
        return
    try:
        _store().parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(_store(), json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass
