"""Saving prepared data: two processes at once both succeed; a full disk is one line and leaves nothing behind."""

from __future__ import annotations

import errno
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from engine.data.cache import DONE_MARKER, load_entry, save_entry
from engine.data.encode import EncodeReport
from engine.data.errors import DataError


def _rows() -> Any:
    import datasets

    return datasets.Dataset.from_dict({"input_ids": [[1, 2, 3]] * 50, "length": [3] * 50})


def _save_many(folder: str, times: int) -> None:
    rows = _rows()
    for _ in range(times):
        save_entry(Path(folder), rows, None, EncodeReport(rows_read=50, samples_kept=50))


def test_two_processes_saving_the_same_entry_both_succeed(tmp_path: Path) -> None:
    folder = tmp_path / "prepared" / "abc123"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_save_many, args=(str(folder), 10)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0, 0]
    loaded = load_entry(folder)
    assert loaded is not None and len(loaded[0]) == 50
    assert [p.name for p in folder.parent.iterdir()] == ["abc123"]


class _FullDisk:
    """A dataset whose save fails the way a full disk fails."""

    def save_to_disk(self, path: str) -> None:
        Path(path).mkdir(parents=True)
        (Path(path) / "data-00000-of-00001.arrow").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_line_and_leaves_no_partial_folder(tmp_path: Path) -> None:
    folder = tmp_path / "prepared" / "abc123"
    with pytest.raises(DataError, match=r"no space left on the disk of .*; nothing was kept") as caught:
        save_entry(folder, _FullDisk(), None, EncodeReport())
    assert "\n" not in str(caught.value)
    assert list(folder.parent.iterdir()) == []
    assert not (folder / DONE_MARKER).exists()


def _save_until_killed(folder: str) -> None:
    """Starts a save, then hangs inside it, as a save does when kill -9 reaches it."""
    import time

    rows = _rows()
    real_save = type(rows).save_to_disk

    def slow_save(self: Any, path: str, **kwargs: Any) -> None:
        real_save(self, path, **kwargs)
        time.sleep(600)

    type(rows).save_to_disk = slow_save  # type: ignore[method-assign]  # this forked child only
    save_entry(Path(folder), rows, None, EncodeReport(rows_read=50, samples_kept=50))


def test_a_save_killed_mid_write_is_swept_by_the_next_run_but_a_live_one_is_not(tmp_path: Path) -> None:
    import json
    import os
    import signal
    import time

    from engine.config import parse_config_dict
    from engine.data.prepare import prepare_datasets
    from tests.tiny import tiny_tokenizer

    prepared = tmp_path / "prepared"
    worker = multiprocessing.get_context("fork").Process(target=_save_until_killed, args=(str(prepared / "k1"),))
    worker.start()
    deadline = time.monotonic() + 120
    while not list(prepared.glob("k1.partial-*/train/*.arrow")) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.kill(worker.pid or 0, signal.SIGKILL)
    worker.join(timeout=60)
    [abandoned] = prepared.glob("k1.partial-*")
    writing_now = prepared / f"k2.partial-{os.getpid()}-0123abcd"  # a live pid: another run writing this moment
    writing_now.mkdir()

    data = tmp_path / "rows.json"
    data.write_text(json.dumps([{"instruction": f"q{i}", "input": "", "output": f"a{i}"} for i in range(8)]))
    config = parse_config_dict(
        {
            "base_model": "tiny",
            "datasets": [{"path": str(data), "type": "alpaca"}],
            "dataset_prepared_path": str(prepared),
        }
    )
    said: list[str] = []
    prepare_datasets(config, tiny_tokenizer(), progress=said.append)
    assert not abandoned.exists()
    assert writing_now.is_dir()
    assert f"removed {abandoned.name}, left by a save that was killed" in said
