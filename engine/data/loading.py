"""Read one `datasets:` entry into a `datasets.Dataset`: local files, folders, data_files or a hub id."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from engine.config.paths import looks_local
from engine.data.diagnose import check_before_loading, explain_json_failure
from engine.data.errors import DataError
from engine.errors import one_line
from engine.models.hub import hub_unreachable_reason, offline_switch

if TYPE_CHECKING:
    from engine.config import DatasetConfig

EXTENSION_BUILDERS = {
    ".json": "json",
    ".jsonl": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".txt": "text",
    ".arrow": "arrow",
}
"""File suffix -> the `datasets` builder that reads it."""


def load_source(ds: DatasetConfig) -> Any:
    """The rows of one entry, as a `datasets.Dataset`; any failure becomes a one-line `DataError`."""
    path = Path(ds.path).expanduser()
    problem = unusable_path(path)
    if problem is not None:
        raise DataError(f"dataset path '{ds.path}' {problem[0]}; {problem[1]}")
    if path.exists():
        dataset = _load_local(ds, path)
    elif looks_local(ds.path):
        raise DataError(f"dataset file or folder '{ds.path}' does not exist; check `path`")
    else:
        dataset = _load_hub(ds)
    if getattr(ds, "shards", None):
        dataset = dataset.shard(num_shards=ds.shards, index=0)
    return dataset


def unusable_path(path: Path) -> tuple[str, str] | None:
    """(what is wrong, the fix) for a path that exists as a name but cannot hold data: a symlink to nothing (a loop
    or a missing target), or a device, FIFO or socket (/dev/null, /dev/zero: reading one never ends or gives
    nothing). The one wording for the wizard, `validate` and the data loader."""
    if path.is_symlink() and not path.exists():
        return "is a symlink to nothing (a loop or a missing target)", "fix the link or point `path` at a data file"
    if path.exists() and not path.is_file() and not path.is_dir():
        return "is not a regular file (a device, pipe or socket)", "point `path` at a data file or folder"
    return None


def local_files(ds: DatasetConfig) -> list[Path] | None:
    """The files an entry reads, sorted, for fingerprinting; None for a hub dataset."""
    path = Path(ds.path).expanduser()
    if not path.exists():
        return None
    if path.is_file():
        return [path]
    if ds.data_files:
        return sorted(path / f for f in _as_list(ds.data_files))
    return sorted(_folder_files(path))


MAX_FOLDER_FILES = 10_000
"""A dataset folder with more files than this is not a dataset folder (a path typed as far as `/`, a home folder)."""


def _folder_files(folder: Path) -> list[Path]:
    """Every visible file under `folder`, skipping what cannot be read; refused past MAX_FOLDER_FILES, so a path
    like `/` (typed half-way in the wizard) fails in a moment instead of walking the whole disk."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # Only regular files: a FIFO or device in the folder would block or never end when read.
        found.extend(Path(root) / name for name in files if not name.startswith(".") and (Path(root) / name).is_file())
        if len(found) > MAX_FOLDER_FILES:
            raise DataError(
                f"folder '{folder}' holds more than {MAX_FOLDER_FILES:,} files, so it is not one dataset; "
                "point `path` at a data file, or at a folder of data files, or set `data_files`"
            )
    return found


def _load_local(ds: DatasetConfig, path: Path) -> Any:
    import datasets

    if path.is_dir() and _is_saved_dataset(path) and not ds.data_files:
        return _call(ds.path, lambda: _pick_split(datasets.load_from_disk(str(path)), ds.split, ds.path))
    files = local_files(ds) or []
    for file in files:
        problem = check_before_loading(file)
        if problem is not None:
            raise DataError(problem)
    builder = ds.ds_type or _builder_for([str(f) for f in files], ds.path)
    # `datasets` reads data_files as glob patterns: a folder named `runs/[exp]` would match nothing (StopIteration
    # deep inside it). These are files already found on disk, so their names are escaped to mean themselves.
    patterns = [glob.escape(str(f)) for f in files]
    load = lambda: datasets.load_dataset(builder, data_files=patterns, split=ds.split)  # noqa: E731
    return _call(ds.path, load, files)


def _is_saved_dataset(folder: Path) -> bool:
    """A folder written by `save_to_disk` (a Dataset or a DatasetDict)."""
    return (folder / "state.json").exists() or (folder / "dataset_dict.json").exists()


def _builder_for(files: list[str], name: str) -> str:
    """The builder for a set of files, from their suffixes; mixed or unknown suffixes need `ds_type`."""
    builders = {EXTENSION_BUILDERS.get(Path(f).suffix.lower()) for f in files}
    if len(builders) == 1 and None not in builders:
        return cast(str, builders.pop())  # the set holds one builder and it is not None
    if not files:
        raise DataError(f"dataset folder '{name}' has no data files; add some or set `data_files`")
    raise DataError(
        f"cannot tell the file format of '{name}' from its file names; set `ds_type` (json, csv, parquet, text)"
    )


def _pick_split(loaded: Any, split: str, name: str) -> Any:
    """A saved DatasetDict gives the requested split; a saved Dataset is used whole."""
    if not hasattr(loaded, "keys"):
        return loaded
    if split not in loaded:
        raise DataError(f"dataset '{name}' has no split '{split}'; it has: {', '.join(loaded.keys())}")
    return loaded[split]


def _load_hub(ds: DatasetConfig) -> Any:
    """A hub dataset; offline, fail at once with the id instead of a wall of retried HTTP errors."""
    import datasets

    # Offline mode asked for: `datasets` reads its local cache, and we let it try.
    unreachable = None if offline_switch("HF_DATASETS_OFFLINE") else hub_unreachable_reason()
    if unreachable:
        raise DataError(
            f"dataset '{ds.path}' is not a local file or folder, and the Hugging Face hub cannot be reached "
            f"({unreachable}); download it first or point `path` at a local file"
        )
    return _call(
        ds.path,
        lambda: datasets.load_dataset(
            ds.path,
            name=ds.name,
            data_files=ds.data_files,
            split=ds.split,
            revision=getattr(ds, "revision", None),
        ),
    )


JSON_BUILDER_LOGGER = "datasets.packaged_modules.json.json"
"""datasets' JSON reader, which logs its own "JSON parse error ... in row 6" (0-based) before raising: ft-tui
explains the same failure with the 1-based line (`explain_json_failure`), so that log line only misleads."""


@contextmanager
def _json_reader_quiet() -> Iterator[None]:
    logger = logging.getLogger(JSON_BUILDER_LOGGER)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _call(name: str, load: Callable[[], Any], files: list[Path] | None = None) -> Any:
    """Run a `datasets` loader and turn its exception chain into one readable line (the broken file and line
    when a local JSON file is to blame)."""
    try:
        with _json_reader_quiet():
            return load()
    except DataError:
        raise
    except Exception as err:
        for file in files or []:
            reason = explain_json_failure(file)
            if reason is not None:
                raise DataError(f"cannot read dataset '{file}': {reason}") from err
        # The innermost cause's first line: that is where the real reason (bad JSON, 404) is.
        raise DataError(f"cannot read dataset '{name}': {one_line(err, innermost=True)}") from err


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
