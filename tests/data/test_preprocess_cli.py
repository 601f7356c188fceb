"""`ft-tui preprocess`: exit codes, the --json object, the text report and the --debug view."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from engine.cli import preprocess


def _config(tmp_path: Path, tiny_model_dir: Path, data: str, **extra: Any) -> Path:
    lines = [
        f"base_model: {tiny_model_dir}",
        "datasets:",
        f"  - path: {data}",
        "    type: alpaca",
        "sequence_len: 256",
        f"dataset_prepared_path: {tmp_path / 'prepared'}",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    path = tmp_path / "run.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    preprocess.register(parser.add_subparsers())
    args = parser.parse_args(["preprocess", *argv])
    return args.handler(args)


def _alpaca(tmp_path: Path, n: int = 30) -> str:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"instruction": f"question {i}?", "output": f"answer {i}."} for i in range(n)]))
    return str(path)


def test_json_report_and_cache_reuse(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, tiny_model_dir, _alpaca(tmp_path), sample_packing="true", val_set_size=5)
    assert _run(str(config), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and not report["reused_cache"]
    facts = report["facts"]
    assert (facts["rows_read"], facts["train_rows"], facts["eval_rows"]) == (30, 25, 5)
    assert facts["eval_batches"] >= facts["eval_batches_needed"] and 0 < facts["packing_efficiency"] <= 1
    assert _run(str(config), "--json") == 0
    assert json.loads(capsys.readouterr().out)["reused_cache"]


def test_text_report_with_debug(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, tiny_model_dir, _alpaca(tmp_path), sample_packing="true")
    assert _run(str(config), "--debug", "1") == 0
    out = capsys.readouterr().out
    for expected in ("rows read", "Lengths", "packing efficiency", "sample 0", "### Response:"):
        assert expected in out


def test_eval_split_too_small_exits_1(tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small_eval = {"sample_packing": "true", "val_set_size": 2, "gradient_accumulation_steps": 4}
    config = _config(tmp_path, tiny_model_dir, _alpaca(tmp_path), **small_eval)
    assert _run(str(config), "--json") == 1
    (finding,) = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["severity"] == "error"]
    assert finding["id"] == "packing.eval_split_too_small"
    assert finding["message"].startswith("eval dataset split is too small for sample_packing")


def test_data_error_exits_1_and_bad_config_exits_2(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(str(_config(tmp_path, tiny_model_dir, str(tmp_path / "missing.json"))), "--json") == 1
    assert "does not exist" in json.loads(capsys.readouterr().out)["error"]
    bad = tmp_path / "bad.yml"
    bad.write_text("base_model: [unclosed\n")
    assert _run(str(bad)) == 2
    assert _run(str(tmp_path / "nope.yml")) == 2


def test_every_row_dropped_names_the_rule_and_its_fix(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bare "no usable rows" line said nothing about what to change; the catalog's finding does."""
    path = tmp_path / "long.json"
    path.write_text(json.dumps([{"instruction": "say it at length " * 100, "output": "fine " * 100}] * 4))
    config = _config(tmp_path, tiny_model_dir, str(path))
    assert _run(str(config), "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["error"].startswith("no usable rows: 4 read, all dropped (too_long: 4)")
    [finding] = [f for f in report["findings"] if f["id"] == "data.every_row_dropped"]
    assert finding["severity"] == "error" and "raise sequence_len to at least" in finding["fix"]
