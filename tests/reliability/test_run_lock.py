"""One run per output folder: a second engine is refused with the owner's pid; a completed run needs --force."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import RunConfig
from engine.events import FinishedEvent, StepEvent, read_events
from engine.runs.folder import RunFolder
from engine.runs.lock import RunLockError
from engine.runs.paths import LOCK_FILE
from engine.runs.process import start_token
from engine.runs.registry import LaunchInfo, save_launch
from engine.train import TrainError, train
from tests.train.conftest import engine_command, run_engine, write_config
from tests.waiting import has_event, wait_until

ROOT = Path(__file__).parents[2]


def _wait_for_step(events_file: Path, process: subprocess.Popen[str]) -> None:
    wait_until(
        lambda: has_event(events_file, StepEvent), what="first step of the first run", timeout=150, process=process
    )


def test_a_second_foreground_run_into_a_live_runs_folder_is_refused(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    config = make_config(max_steps=100_000)
    first_path = write_config(config, tmp_path / "first.yml")
    events_file = Path(config.output_dir) / "events.jsonl"
    first = subprocess.Popen(
        engine_command(str(first_path)), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for_step(events_file, first)
        events_before = len(read_events(events_file))
        second = run_engine(str(first_path), "--lora-r", "32")
        assert second.returncode == 1
        assert second.stderr.strip().count("\n") == 0, second.stderr
        assert f"{config.output_dir} is in use by another run (pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        events = read_events(events_file)
        # Nothing of the refused run reached the live run's events (the live run only kept stepping).
        assert not any(isinstance(e, FinishedEvent) for e in events[events_before:])
    finally:
        os.kill(first.pid, signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 130
    assert not (Path(config.output_dir) / LOCK_FILE).exists()


def test_a_completed_run_is_kept_unless_forced(make_config: Callable[..., RunConfig], tmp_path: Path) -> None:
    config = make_config(max_steps=1)
    path = write_config(config, tmp_path / "run.yml")
    assert run_engine(str(path)).returncode == 0
    again = run_engine(str(path))
    assert again.returncode == 1
    assert "already holds a completed run" in again.stderr and "--force" in again.stderr
    assert sum(isinstance(e, FinishedEvent) for e in read_events(Path(config.output_dir) / "events.jsonl")) == 1
    first_adapter = (Path(config.output_dir) / "adapter_model.safetensors").read_bytes()
    forced = run_engine(str(path), "--force")
    assert forced.returncode == 0, forced.stderr
    run_dir = Path(config.output_dir)
    assert not (run_dir / LOCK_FILE).exists()
    events = read_events(run_dir / "events.jsonl")  # the new run's history alone, not appended to the old one
    assert sum(isinstance(e, FinishedEvent) for e in events) == 1
    (replaced,) = run_dir.parent.glob(f"{run_dir.name}.replaced-*")
    assert (replaced / "adapter_model.safetensors").read_bytes() == first_adapter  # replaced, never deleted
    assert any(str(replaced) in getattr(e, "message", "") for e in events)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_stale_lock_is_taken_over(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / LOCK_FILE).write_text(f'{{"pid": {_dead_pid()}, "token": null}}')
    lock = RunFolder(run_dir).claim()
    assert f'"pid": {os.getpid()}' in (run_dir / LOCK_FILE).read_text()
    lock.release()
    assert not (run_dir / LOCK_FILE).exists()


def test_a_live_lock_names_its_owner(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (run_dir).mkdir()
        (run_dir / LOCK_FILE).write_text(f'{{"pid": {owner.pid}, "token": "{start_token(owner.pid)}"}}')
        with pytest.raises(RunLockError, match=rf"in use by another run \(pid {owner.pid}\)"):
            RunFolder(run_dir).claim()
    finally:
        owner.kill()
        owner.wait()


def test_a_foreground_run_into_a_live_detached_runs_folder_writes_nothing_there(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    """The detached engine may not have taken the lock yet; its launch record alone keeps the folder."""
    config = make_config()
    run_dir = Path(config.output_dir)
    detached = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        save_launch(
            LaunchInfo(
                run_dir=str(run_dir),
                config_path=str(run_dir / "run_config.yml"),
                cwd=str(ROOT),
                command=["python", "-m", "engine.train"],
                pid=detached.pid,
                pid_token=start_token(detached.pid),
                launched_at=time.time(),
            )
        )
        with pytest.raises(TrainError, match=rf"pid {detached.pid}"):
            train(config)
        assert not (run_dir / "events.jsonl").exists()
    finally:
        detached.kill()
        detached.wait()


def finished_run(run_dir: Path, status: str) -> Path:
    """A run folder whose events end with `status`, and an adapter file standing for what it trained."""
    from engine.events.writer import EventWriter

    run_dir.mkdir(parents=True)
    with EventWriter(run_dir / "events.jsonl") as writer:
        writer.emit(FinishedEvent(status=status, step=4, elapsed_s=1.0))  # type: ignore[arg-type]
    (run_dir / "adapter_model.safetensors").write_bytes(b"weights")
    return run_dir


def test_force_sets_aside_any_run_with_progress_never_an_empty_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert RunFolder(empty).set_aside() is None and empty.is_dir()
    for status in ("failed", "completed"):
        run_dir = finished_run(tmp_path / status, status)  # type: ignore[arg-type]
        moved = RunFolder(run_dir).set_aside()
        assert moved is not None and moved.name.startswith(f"{status}.replaced-")
        assert (moved / "adapter_model.safetensors").read_bytes() == b"weights"
        assert run_dir.is_dir() and not any(run_dir.iterdir())


def test_a_detached_forced_run_moves_the_old_run_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.config import parse_config_dict, save_config
    from engine.runs import launch

    monkeypatch.setattr(launch, "_spawn", lambda *_: subprocess.Popen([sys.executable, "-c", "pass"]))
    run_dir = finished_run(tmp_path / "run", "completed")
    config = save_config(
        parse_config_dict({"base_model": "m", "datasets": [{"path": "d.jsonl"}], "output_dir": str(run_dir)}),
        tmp_path / "cfg.yml",
    )
    with pytest.raises(launch.LaunchError, match="already holds a completed run"):
        launch.start_detached(config, cwd=tmp_path)
    assert launch.start_detached(config, cwd=tmp_path, force=True) == run_dir
    (moved,) = tmp_path.glob("run.replaced-*")
    assert sorted(path.name for path in moved.iterdir()) == ["adapter_model.safetensors", "events.jsonl"]
    assert not (run_dir / "adapter_model.safetensors").exists()
