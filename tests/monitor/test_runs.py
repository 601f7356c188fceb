"""Detached launching, the registry, run states, stop and resume, driven by the fake engine."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import ConfigError
from engine.events import EVENTS_FILE, read_events
from engine.runs import (
    CONSOLE_FILE,
    RUN_CONFIG_FILE,
    LaunchError,
    RunControlError,
    list_runs,
    read_launch,
    resume_run,
    run_record,
    start_detached,
    stop_run,
)
from engine.runs.folder import RunFolder
from engine.runs.status import RunStatus
from tests.monitor.conftest import recorded_run, state_of, wait_for

FakeEngine = Callable[..., None]


def test_detached_run_writes_into_its_folder_and_is_listed(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.0)
    run_dir = start_detached(config_file, ["--learning-rate", "0.001"])
    cleanup_runs.append(run_dir)
    assert run_dir == (config_file.parent / "outputs" / "demo").resolve()
    wait_for(lambda: state_of(run_dir) == "finished")
    copy = (run_dir / RUN_CONFIG_FILE).read_text(encoding="utf-8")
    assert "learning_rate: 0.001" in copy
    assert "fake engine pid" in (run_dir / CONSOLE_FILE).read_text(encoding="utf-8")
    [record] = list_runs()
    assert record.run_dir == run_dir
    assert (record.name, record.model, record.progress) == (
        "smollm2-alpaca",
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "120/120",
    )
    last_step = [event for event in read_events(run_dir / EVENTS_FILE) if event.type == "step"][-1]
    assert record.status.last_loss == last_step.loss


def test_stop_saves_a_checkpoint_and_resume_continues_after_it(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.05)
    run_dir = start_detached(config_file)
    cleanup_runs.append(run_dir)
    wait_for(lambda: run_record(run_dir).status.step >= 5)
    stop_run(run_dir)
    wait_for(lambda: state_of(run_dir) == "stopped")
    stopped = run_record(run_dir).status
    assert stopped.finished is not None and stopped.finished.checkpoint is not None
    assert Path(stopped.finished.checkpoint).is_dir()

    fake_engine("complete.jsonl", 0.0)
    assert resume_run(run_dir) == run_dir
    wait_for(lambda: state_of(run_dir) == "finished")
    steps = [event.step for event in read_events(run_dir / EVENTS_FILE) if event.type == "step"]
    assert steps == list(range(1, 121)), "the resumed run continues right after the checkpoint"
    assert run_record(run_dir).status.resumed_from == stopped.finished.checkpoint
    # the resume started from the folder's copy; the record still names the user's file, for a new run beside it
    assert RunFolder(run_dir).source_config() == config_file.resolve()


def test_a_dead_engine_without_finished_event_is_failed(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("crash.jsonl", 0.0)
    run_dir = start_detached(config_file)
    cleanup_runs.append(run_dir)
    wait_for(lambda: state_of(run_dir) == "failed")
    record = run_record(run_dir)
    assert record.status.error is not None and "not enough memory" in record.status.error.message
    assert "Traceback" in (run_dir / CONSOLE_FILE).read_text(encoding="utf-8")


def test_a_second_launch_into_a_live_folder_is_refused(
    fake_engine: FakeEngine, config_file: Path, cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.2)
    run_dir = start_detached(config_file)
    cleanup_runs.append(run_dir)
    with pytest.raises(LaunchError, match="already has a run in progress"):
        start_detached(config_file)


def test_bad_config_and_bad_override_are_config_errors(config_file: Path) -> None:
    with pytest.raises(ConfigError):
        start_detached(config_file, ["--learning-rat", "1"])
    assert list_runs() == []


def test_stop_of_a_finished_run_and_resume_without_launch_info_explain_themselves(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    with pytest.raises(RunControlError, match="not running"):
        stop_run(run_dir)
    with pytest.raises(LaunchError, match="ft-tui train CONFIG --resume"):
        resume_run(run_dir)


def test_state_follows_phases_and_liveness(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl", lines=4)
    status = run_record(run_dir).status
    assert (status.state(alive=True), status.state(alive=False)) == ("preparing data", "failed")
    assert (status.phase_current, status.phase_total) == (0, 2000)
    assert run_record(recorded_run(tmp_path / "b", "complete.jsonl")).state == "finished"


def test_pid_of_this_process_with_another_start_time_counts_as_dead(tmp_path: Path) -> None:
    from engine.runs.process import is_alive, start_token

    token = start_token(os.getpid())
    assert is_alive(os.getpid(), token)
    if token is not None:
        assert not is_alive(os.getpid(), token + "1")


def test_long_event_files_are_summarised_from_head_and_tail(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    lines = (run_dir / EVENTS_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    steps = [line for line in lines if '"type":"step"' in line]
    body = lines[:18] + steps * 4000 + lines[-3:]
    (run_dir / EVENTS_FILE).write_text("".join(body), encoding="utf-8")
    status = run_record(run_dir).status
    assert status.run_name == "smollm2-alpaca"
    assert status.finished is not None and status.step == 120


def test_registry_ignores_records_whose_folder_is_gone(data_dir: Path) -> None:
    (data_dir / "runs").mkdir(parents=True)
    (data_dir / "runs" / "x.json").write_text(json.dumps({"run_dir": "/nonexistent/run"}), encoding="utf-8")
    (data_dir / "runs" / "y.json").write_text("{not json", encoding="utf-8")
    assert list_runs() == []
    assert read_launch(Path("/nonexistent/run")) is None
    assert RunStatus().state(alive=True) == "starting"
