"""A stop while worker processes tokenize: exit 130 within seconds, no traceback, no worker left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from engine.config import RunConfig
from engine.data.prepare import PARALLEL_FROM_ROWS
from engine.events import FinishedEvent, LogEvent, read_events
from tests.train.conftest import engine_command, write_config
from tests.waiting import has_event, wait_until

ROOT = Path(__file__).parents[2]
EXIT_STOPPED = 130


@pytest.fixture
def big_run(make_config: Callable[..., RunConfig], tmp_path: Path) -> tuple[RunConfig, Path]:
    """Enough rows that tokenizing starts worker processes (two of them)."""
    rows = [
        {"instruction": f"Question number {i}: what is {i} plus one?", "input": "", "output": f"It is {i + 1}."}
        for i in range(PARALLEL_FROM_ROWS + 4000)
    ]
    data = tmp_path / "big.jsonl"
    data.write_text("\n".join(json.dumps(row) for row in rows))
    config = make_config(datasets=[{"path": str(data), "type": "alpaca"}], dataset_processes=2, max_steps=2)
    return config, write_config(config, tmp_path / "big.yml")


def _start(path: Path, temp: Path | None = None) -> subprocess.Popen[str]:
    """The engine on `path`, with the system temp folder at `temp` when given (to see what it leaves there)."""
    return subprocess.Popen(
        engine_command(str(path)),
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temp)} if temp else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a detached run or a shell job
    )


def _wait_for_workers(process: subprocess.Popen[str], events_file: Path, count: int) -> list[psutil.Process]:
    """Block until the run says it is tokenizing and `count` worker processes run under it."""
    parent = psutil.Process(process.pid)

    def workers() -> list[psutil.Process]:
        tokenizing = has_event(events_file, LogEvent, lambda e: e.message.startswith("tokenizing"))
        children = parent.children(recursive=True)
        return children if tokenizing and len(children) >= count else []

    return wait_until(workers, what=f"tokenizing with {count} worker processes", timeout=300, process=process)


def _gone(processes: list[psutil.Process]) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=30)
    return not alive


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_while_workers_tokenize_ends_the_run_as_stopped(
    big_run: tuple[RunConfig, Path], sig: signal.Signals, tmp_path: Path
) -> None:
    config, path = big_run
    events_file = Path(config.output_dir) / "events.jsonl"
    temp = tmp_path / "system-temp"
    temp.mkdir()
    process = _start(path, temp)
    workers = _wait_for_workers(process, events_file, count=2)
    # The monitor's stop and a terminal's Ctrl-C both reach the whole process group, workers included.
    os.killpg(process.pid, sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_STOPPED, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert _gone(workers)
    finished = read_events(events_file)[-1]
    assert isinstance(finished, FinishedEvent) and finished.status == "stopped"
    assert list(temp.iterdir()) == []  # datasets' hf_datasets-* folder with the workers' shards is removed


def test_workers_die_with_a_killed_parent(big_run: tuple[RunConfig, Path]) -> None:
    config, path = big_run
    process = _start(path)
    workers = _wait_for_workers(process, Path(config.output_dir) / "events.jsonl", count=2)
    process.kill()  # kill -9 of the parent alone
    process.communicate(timeout=60)
    assert _gone(workers)


def test_rows_dropped_in_a_worker_keep_their_row_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.config import parse_config_dict
    from engine.data import prepare
    from tests.tiny import tiny_tokenizer

    rows = [{"instruction": f"q{i}", "input": "", "output": f"a{i}"} for i in range(40)]
    rows[33] = {"instruction": "no answer", "input": "", "output": ""}
    data = tmp_path / "rows.json"
    data.write_text(json.dumps(rows))
    monkeypatch.setattr(prepare, "PARALLEL_FROM_ROWS", 10)
    config = parse_config_dict(
        {
            "base_model": "tiny",
            "datasets": [{"path": str(data), "type": "alpaca"}],
            "dataset_processes": 3,
            "dataset_prepared_path": str(tmp_path / "prepared"),
        }
    )
    facts = prepare.prepare_datasets(config, tiny_tokenizer()).facts
    assert facts.rows_read == 40 and facts.rows_dropped == {"empty": 1}
    assert "row 33:" in facts.dropped_examples[0]
