"""The prepared-data cache: a key over everything that changes the tokens, and save/load of one entry."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.atomic import discard_folder, publish_folder
from engine.data.encode import EncodeReport, RowIssue
from engine.data.errors import DataError
from engine.data.loading import local_files

if TYPE_CHECKING:
    from engine.config import DatasetConfig, RunConfig

PIPELINE_VERSION = 3
"""Bump when tokenization or masking changes, so old caches are not reused."""

DONE_MARKER = "report.json"
"""Written last: a folder without it is an interrupted write and is rebuilt."""

TOKENS_AFFECTING_KEYS = (
    "sequence_len",
    "train_on_inputs",
    "chat_template",
    "chat_template_jinja",
    "excess_length_strategy",
    "min_sample_len",
    "val_set_size",
    "seed",
    "shuffle_merged_datasets",
)
"""Run-wide config keys that change the prepared rows or the train/eval split."""


def cache_key(cfg: RunConfig, tokenizer: Any) -> str:
    """A short hash of the data files' content, every dataset setting, the tokenizer and the keys above."""
    parts = {
        "version": PIPELINE_VERSION,
        "datasets": [_dataset_part(ds) for ds in cfg.datasets],
        "test_datasets": [_dataset_part(ds) for ds in (cfg.test_datasets or [])],
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "config": {k: getattr(cfg, k, None) for k in TOKENS_AFFECTING_KEYS},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _dataset_part(ds: DatasetConfig) -> dict[str, Any]:
    """The entry's settings plus a content hash of its local files (a hub id is keyed by id and revision)."""
    files = local_files(ds)
    return {"settings": ds.model_dump(mode="json"), "files": _files_digest(files) if files is not None else None}


def _files_digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.name).encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """Hash of the vocabulary/merges, special tokens and chat template: what decides the token ids."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    parts = [
        backend.to_str() if backend is not None else str(getattr(tokenizer, "name_or_path", "")),
        json.dumps(getattr(tokenizer, "special_tokens_map", {}), sort_keys=True, default=str),
        str(getattr(tokenizer, "chat_template", None)),
        type(tokenizer).__name__,
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


_PARTIAL_NAME = re.compile(r"\.partial-(\d+)-[0-9a-f]{8}$")
"""`<key>.partial-PID-xxxxxxxx`: the temporary folder `save_entry` writes before renaming it into place."""


def sweep_abandoned_saves(prepared: Path) -> list[Path]:
    """Remove the temporary folders of saves whose process died mid-write (a kill -9 skips `save_entry`'s own
    cleanup) and return them. Only those of a dead pid: a live one may be another run writing that entry now."""
    from engine.runs.process import is_alive

    if not prepared.is_dir():
        return []
    removed = []
    for path in prepared.iterdir():
        match = _PARTIAL_NAME.search(path.name)
        if match and path.is_dir() and not is_alive(int(match.group(1))):
            discard_folder(path)
            removed.append(path)
    return removed


def load_entry(folder: Path) -> tuple[Any, Any, EncodeReport] | None:
    """(train, eval or None, report) from a complete cache folder, or None when there is none."""
    if not (folder / DONE_MARKER).exists():
        return None
    import datasets

    train = datasets.load_from_disk(str(folder / "train"))
    evaluation = datasets.load_from_disk(str(folder / "eval")) if (folder / "eval").exists() else None
    return train, evaluation, _report_from_json(json.loads((folder / DONE_MARKER).read_text()))


def save_entry(folder: Path, train: Any, evaluation: Any, report: EncodeReport) -> None:
    """Write into a temporary sibling of this process's own, then rename: readers never see a half-written
    entry, two processes preparing the same data never trip over each other (the second finds the entry done and
    drops its copy), and an interrupted or failed write leaves no temporary folder behind."""
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        partial.mkdir(parents=True)
        train.save_to_disk(str(partial / "train"))
        if evaluation is not None:
            evaluation.save_to_disk(str(partial / "eval"))
        (partial / DONE_MARKER).write_text(json.dumps(_report_to_json(report), indent=1))
        publish_folder(partial, folder, _is_complete_entry)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DataError(
                f"no space left on the disk of {folder.parent} while saving the prepared data; nothing was kept "
                "there. Free some space or set dataset_prepared_path to a folder on a bigger disk"
            ) from error
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise DataError(
                f"cannot write the prepared data into {folder.parent} ({error.strerror}); "
                "set dataset_prepared_path to a folder you can write to"
            ) from error
        raise
    finally:
        discard_folder(partial)


def _is_complete_entry(folder: Path) -> bool:
    return (folder / DONE_MARKER).exists()


def _report_to_json(report: EncodeReport) -> dict[str, Any]:
    return {
        "rows_read": report.rows_read,
        "samples_kept": report.samples_kept,
        "rows_truncated": report.rows_truncated,
        "dropped": dict(report.dropped),
        "longest_read": report.longest_read,
        "examples": [asdict(e) for e in report.examples],
        "tools_ignored": [list(entry) for entry in report.tools_ignored],
    }


def _report_from_json(data: dict[str, Any]) -> EncodeReport:
    report = EncodeReport(
        rows_read=data["rows_read"],
        samples_kept=data["samples_kept"],
        rows_truncated=data["rows_truncated"],
        longest_read=data.get("longest_read", 0),
    )
    report.dropped.update(data["dropped"])
    report.examples = [RowIssue(**e) for e in data["examples"]]
    report.tools_ignored = [(path, column) for path, column in data.get("tools_ignored", [])]
    return report
