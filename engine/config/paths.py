"""Where a relative path in a config points: the one rule, applied once when a config file is loaded.

The rule (documented in the README, "Paths in a config"):

- An *input* (a dataset file, a local model or tokenizer folder, a checkpoint to resume from, a DeepSpeed file)
  is looked up next to the config file first, then in the current folder. So a config and the data beside it
  travel together and run from any directory, while an axolotl config that names paths from the folder axolotl
  is run in (its rule: the current folder) still finds them there.
- An input found next to the config is rewritten when the file is loaded, to a path from the current folder
  (absolute when it lies outside it), so everything downstream (the data loader, the model resolver, the wizard,
  the copy of the config kept in the run folder) reads one path with axolotl's meaning. An input found only in
  the current folder keeps the text the user wrote: it already means what axolotl would make of it.
- *Outputs* (`output_dir`, `dataset_prepared_path`) are relative to the current folder, exactly as in axolotl:
  a built-in preset run from an empty folder writes its results there, never into the installed package.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.config.run_config import RunConfig

INPUT_KEYS = ("base_model", "base_model_config", "tokenizer_config", "lora_model_dir", "deepspeed")
"""Top-level keys naming a file or folder the run reads (hub ids pass through unless such a folder exists)."""
OUTPUT_KEYS = ("output_dir", "dataset_prepared_path")
"""Keys naming where the run writes; relative to the current folder."""


def resolve_config_paths(data: Mapping[str, Any], config_dir: Path, cwd: Path | None = None) -> dict[str, Any]:
    """A copy of raw config data where each relative input that exists next to the config is made absolute."""
    resolved = dict(data)
    for key in INPUT_KEYS:
        resolved[key] = _resolved(resolved.get(key), config_dir, cwd)
    if isinstance(resolved.get("resume_from_checkpoint"), str):
        resolved["resume_from_checkpoint"] = _resolved(resolved["resume_from_checkpoint"], config_dir, cwd)
    for list_key in ("datasets", "test_datasets"):
        entries = resolved.get(list_key)
        if isinstance(entries, list):
            resolved[list_key] = [_resolved_entry(entry, config_dir, cwd) for entry in entries]
    return {key: value for key, value in resolved.items() if key in data}


def input_path(value: str, config_dir: Path | None, cwd: Path | None = None) -> Path:
    """Where an input path points under the rule; for a missing one, the place it was expected (cwd)."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    for base in _bases(config_dir, cwd):
        candidate = base / path
        if candidate.exists():
            return candidate.resolve() if base == config_dir else candidate
    return (cwd or Path.cwd()) / path


def output_path(value: str, cwd: Path | None = None) -> Path:
    """Where an output path points: the current folder's, as axolotl reads it."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (cwd or Path.cwd()) / path


def with_outputs_expanded(config: RunConfig) -> RunConfig:
    """The config with `~` expanded in its outputs, for the engine: its lock, events and log (Python's open) and the
    checkpoints (transformers expands `~` itself) then land in one folder, the one `validate` shows."""
    changes = {
        key: str(Path(value).expanduser()) for key in OUTPUT_KEYS if isinstance(value := getattr(config, key), str)
    }
    return config.model_copy(update=changes)


def output_dir_problem(output_dir: str | Path) -> str | None:
    """Why output_dir cannot become a run folder: it, or a folder above it, is a file. None when it can (it is a
    folder, or nothing is there yet). The one check behind the catalog's rule and the detached launcher."""
    path = output_path(str(output_dir))
    for part in (path, *path.parents):
        if part.is_dir():
            return None
        if part.exists() or part.is_symlink():
            return "is a file, not a folder" if part == path else f"lies inside '{part}', which is a file"
    return None


def shown_paths(config: RunConfig, cwd: Path | None = None) -> Iterator[tuple[str, Path]]:
    """(key, absolute path) for every local input and output of a loaded config, for `validate` and the wizard."""
    for index, entry in enumerate([*config.datasets, *(config.test_datasets or [])]):
        key = "datasets" if index < len(config.datasets) else "test_datasets"
        position = index if key == "datasets" else index - len(config.datasets)
        if looks_local(entry.path):
            yield f"{key}[{position}].path", _absolute(input_path(entry.path, None, cwd))
    for key in OUTPUT_KEYS:
        value = getattr(config, key)
        if value:
            yield key, _absolute(output_path(value, cwd))


DATA_FILE_SUFFIXES = (".json", ".jsonl", ".csv", ".parquet", ".txt", ".arrow")
"""Suffixes that make a dataset `path` a local file rather than a hub id (the loader maps each to a reader)."""


def written_as_path(value: str) -> bool:
    """True for strings only a path can be (`./x`, `/x`, `~/x`, `x\\y`, `x/y/z`): a hub id is `name` or `org/name`.

    The one test of how a `base_model` or dataset `path` is written; whether such a folder exists is asked apart.
    """
    return value.startswith((".", "/", "~", "\\")) or value.count("/") > 1 or "\\" in value


def looks_local(value: str) -> bool:
    """A dataset path rather than a hub id: written as a path, or named like a data file (`train.jsonl`)."""
    return written_as_path(value) or Path(value).suffix.lower() in DATA_FILE_SUFFIXES


def _resolved(value: Any, config_dir: Path, cwd: Path | None) -> Any:
    if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
        return value
    beside = config_dir / Path(value)
    return _from_cwd(beside.resolve(), cwd) if beside.exists() else value


def _from_cwd(path: Path, cwd: Path | None) -> str:
    """Relative to the current folder when it lies inside it (short, and the same on every clone), else absolute."""
    try:
        return str(path.relative_to((cwd or Path.cwd()).resolve()))
    except ValueError:
        return str(path)


def _resolved_entry(entry: Any, config_dir: Path, cwd: Path | None) -> Any:
    if not isinstance(entry, dict):
        return entry
    resolved = dict(entry)
    resolved["path"] = _resolved(entry.get("path"), config_dir, cwd)
    files = entry.get("data_files")
    if isinstance(files, list):
        resolved["data_files"] = [_resolved(item, config_dir, cwd) for item in files]
    else:
        resolved["data_files"] = _resolved(files, config_dir, cwd)
    return {key: value for key, value in resolved.items() if key in entry}


def _bases(config_dir: Path | None, cwd: Path | None) -> list[Path]:
    return [base for base in (config_dir, cwd or Path.cwd()) if base is not None]


def _absolute(path: Path) -> Path:
    return Path(path).absolute()
