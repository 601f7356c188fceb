"""`python -m engine.train` / `ft-tui train` as a process: signals, resume, overrides and one-line errors."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from engine.config import RunConfig
from engine.events import FinishedEvent, StartedEvent, StepEvent, read_events
from tests.train.conftest import engine_command, run_engine, write_config
from tests.waiting import has_event, wait_until

ROOT = Path(__file__).parents[2]
EXIT_STOPPED = 130


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_signal_saves_a_checkpoint_and_resume_continues_from_it(
    make_config: Callable[..., RunConfig], tmp_path: Path, sig: signal.Signals
) -> None:
    config = make_config(max_steps=100_000)
    path = write_config(config, tmp_path / "run.yml")
    events_file = Path(config.output_dir) / "events.jsonl"
    process = subprocess.Popen(
        engine_command(str(path)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_until(lambda: has_event(events_file, StepEvent), what="first step", process=process)
    os.kill(process.pid, sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_STOPPED, stderr
    assert "Traceback" not in stderr
    finished = read_events(events_file)[-1]
    assert isinstance(finished, FinishedEvent) and finished.status == "stopped"
    assert finished.checkpoint == str(Path(config.output_dir) / f"checkpoint-{finished.step}")
    assert (Path(finished.checkpoint) / "trainer_state.json").is_file()

    stop_at = finished.step + 2
    resumed = run_engine(str(path), "--resume", "--max-steps", str(stop_at))
    assert resumed.returncode == 0, resumed.stderr
    events = read_events(events_file)
    started = [e for e in events if isinstance(e, StartedEvent)][-1]
    after = events[events.index(started) :]
    assert started.resumed_from == finished.checkpoint
    assert [e.step for e in after if isinstance(e, StepEvent)] == [finished.step + 1, stop_at]


def test_overrides_are_validated_and_recorded_in_the_config_copy(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    config = make_config()
    path = write_config(config, tmp_path / "run.yml")
    done = run_engine(str(path), "--max-steps", "2", "--learning-rate", "1e-4", "--lora-dropout", "0.1", "--events")
    assert done.returncode == 0, done.stderr
    copy = (Path(config.output_dir) / "config.yml").read_text()
    assert "Command-line overrides: max_steps: 2, learning_rate: 0.0001, lora_dropout: 0.1" in copy
    effective = yaml.safe_load(copy)
    assert (effective["max_steps"], effective["learning_rate"], effective["lora_dropout"]) == (2, 1e-4, 0.1)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines and all(line.startswith('{"v":1') for line in lines), "--events prints only JSON lines on stdout"


def test_unknown_override_exits_1_with_a_did_you_mean(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    path = write_config(make_config(), tmp_path / "run.yml")
    done = run_engine(str(path), "--learning-rat", "1e-4")
    assert done.returncode == 1
    assert "learning_rat: unknown key" in done.stderr and "learning_rate" in done.stderr
    assert "Traceback" not in done.stderr


def test_catalog_errors_exit_1_with_their_findings(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    path = write_config(make_config(), tmp_path / "run.yml")
    done = run_engine(str(path), "--warmup-steps", "2", "--warmup-ratio", "0.1")
    assert done.returncode == 1
    assert "schedule.warmup_steps_and_ratio" in done.stderr and "Traceback" not in done.stderr


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    done = run_engine(str(tmp_path / "nope.yml"))
    assert done.returncode == 2
    assert "nope.yml" in done.stderr and len(done.stderr.strip().splitlines()) == 1
