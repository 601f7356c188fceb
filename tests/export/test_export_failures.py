"""Exports that stop half-way: a full disk, Ctrl-C, an output folder that cannot be written. Each ends with one
line and its fix, and no file (finished-looking or temporary) is left where the model was going."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.cli.export import EXIT_INTERRUPTED
from tests.infer.runs import TinyRun


def _fail_after(monkeypatch: pytest.MonkeyPatch, calls: int, error: BaseException) -> None:
    """Let the quantizer run `calls` times (tensors are being written), then raise `error` as the disk would."""
    from engine.export import gguf_file

    real = gguf_file.quants.quantize
    count = [0]

    def quantize(*args: Any) -> Any:
        count[0] += 1
        if count[0] > calls:
            raise error
        return real(*args)

    monkeypatch.setattr(gguf_file.quants, "quantize", quantize)


def _run(config: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["export", str(config), "--base-only", "--quant", "q8_0", "--out", str(out)])
    return code, capsys.readouterr().err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_full_disk_leaves_no_file(
    tiny_run: TinyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gguf" / "m.gguf"
    out.parent.mkdir()
    _fail_after(monkeypatch, 5, OSError(errno.ENOSPC, "No space left on device"))
    code, err = _run(tiny_run.config_path, out, capsys)
    assert code == 1
    assert "no space left on the disk of" in _one_error_line(err)
    assert "fix: free space or use --out" in err
    assert list(out.parent.iterdir()) == []


def test_ctrl_c_mid_export_leaves_no_file(
    tiny_run: TinyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gguf" / "m.gguf"
    out.parent.mkdir()
    out.write_bytes(b"an older export")
    _fail_after(monkeypatch, 5, KeyboardInterrupt())
    code, err = _run(tiny_run.config_path, out, capsys)
    assert code == EXIT_INTERRUPTED
    assert f"export interrupted; no file was written at {out}" in _one_error_line(err)
    assert [p.name for p in out.parent.iterdir()] == ["m.gguf"] and out.read_bytes() == b"an older export"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_any_work(
    tiny_run: TinyRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, err = _run(tiny_run.config_path, folder / "m.gguf", capsys)
    finally:
        folder.chmod(0o755)
    assert code == 2
    assert "is not writable" in _one_error_line(err)
    assert list(folder.iterdir()) == []


def test_a_folder_the_check_finds_read_only_is_refused(
    tiny_run: TinyRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same refusal where the tests run as root (who may write anywhere): the access check says no."""
    monkeypatch.setattr("engine.export.model.os.access", lambda _path, _mode: False)
    code, err = _run(tiny_run.config_path, tmp_path / "m.gguf", capsys)
    assert code == 2
    assert f"the folder {tmp_path} is not writable" in _one_error_line(err)
    assert "fix: choose a folder you can write to" in err
