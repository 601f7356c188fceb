"""The rule check runs on every wizard edit; a dataset folder is walked once per version of it, not per check."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from engine.config import parse_config_dict
from engine.rules import Target, check_config

CPU = Target(device="cpu", bf16=True, cpu_cores=2, memory_gb=16.0)


def test_a_dataset_folder_is_walked_once_across_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "rows"
    folder.mkdir()
    for i in range(3):
        (folder / f"part-{i}.jsonl").write_text('{"text": "a row"}\n', encoding="utf-8")
    walks: list[str] = []
    real_walk = os.walk

    def counting_walk(top: Any, *args: Any, **kwargs: Any) -> Any:
        walks.append(str(top))
        return real_walk(top, *args, **kwargs)

    monkeypatch.setattr(os, "walk", counting_walk)
    config = parse_config_dict({"datasets": [{"path": str(folder), "type": "completion"}]})
    for lora_r in (8, 16, 32):  # three edits of another field
        check_config(config.model_copy(update={"lora_r": lora_r}), CPU)
    assert walks == [str(folder)]
    (folder / "part-3.jsonl").write_text('{"text": "another"}\n', encoding="utf-8")
    os.utime(folder, ns=(1, folder.stat().st_mtime_ns + 10**9))  # a new file: the folder's version changes
    check_config(config, CPU)
    assert walks == [str(folder), str(folder)]
