"""The run folder's one owner (engine/runs/folder.py): its state from the disk and the lock, the one resolution of
output_dir, the refusal of a fresh run into an earlier run's folder, and resume from a whole checkpoint only."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import RunConfig
from engine.config.paths import with_outputs_expanded
from engine.events import FinishedEvent, StepEvent
from engine.events.writer import EventWriter
from engine.runs.checkpoints import checkpoint_problem, find_checkpoints
from engine.runs.folder import RunFolder
from engine.runs.lock import RunLockError
from engine.runs.paths import LOCK_FILE
from engine.runs.process import start_token
from tests.tiny import fake_checkpoint


def ended_run(run_dir: Path, status: str, step: int = 4, checkpoint: bool = True) -> Path:
    """A run folder whose events end with `status` at `step`, with a whole checkpoint on disk when `checkpoint`."""
    run_dir.mkdir(parents=True)
    with EventWriter(run_dir / "events.jsonl") as writer:
        if step:
            writer.emit(
                StepEvent(
                    step=step,
                    total_steps=8,
                    epoch=0.5,
                    loss=1.0,
                    lr=1e-3,
                    tokens_per_second=1.0,
                    tokens_seen=10,
                    elapsed_s=1.0,
                )
            )
        writer.emit(FinishedEvent(status=status, step=step, elapsed_s=1.0))  # type: ignore[arg-type]
    if checkpoint:
        fake_checkpoint(run_dir / f"checkpoint-{step}")
    return run_dir


def test_state_comes_from_the_disk_and_the_lock(tmp_path: Path) -> None:
    assert RunFolder(tmp_path / "missing").state() == "empty"
    assert RunFolder(ended_run(tmp_path / "stopped", "stopped")).state() == "stopped"
    assert RunFolder(ended_run(tmp_path / "failed", "failed")).state() == "failed"
    crashed = ended_run(tmp_path / "crashed", "stopped")
    (crashed / "events.jsonl").write_text((crashed / "events.jsonl").read_text().splitlines()[0] + "\n")
    assert RunFolder(crashed).state() == "failed"  # steps and no ending: the engine died
    no_events = tmp_path / "copied"
    fake_checkpoint(no_events / "checkpoint-2")
    assert RunFolder(no_events).state() == "stopped"  # checkpoints on disk count without any event
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = ended_run(tmp_path / "live", "stopped")
        (live / LOCK_FILE).write_text(f'{{"pid": {owner.pid}, "token": "{start_token(owner.pid)}"}}')
        assert RunFolder(live).state() == "live" and RunFolder(live).live_pid() == owner.pid
    finally:
        owner.kill()
        owner.wait()


@pytest.mark.parametrize("status", ["stopped", "failed", "completed"])
def test_a_fresh_run_into_an_earlier_runs_folder_is_refused_with_the_fix(tmp_path: Path, status: str) -> None:
    folder = RunFolder(ended_run(tmp_path / "run", status))
    with pytest.raises(RunLockError) as refused:
        folder.claim()
    assert "--force" in str(refused.value) and "--resume" in str(refused.value)
    assert not (folder.path / LOCK_FILE).exists()
    folder.claim(resume=True).release()


def test_a_failed_run_that_never_trained_does_not_block_a_fresh_start(tmp_path: Path) -> None:
    """A config error ends a run before any step: nothing to lose or to mix, so fixing the config and running
    again just works."""
    folder = RunFolder(ended_run(tmp_path / "run", "failed", step=0, checkpoint=False))
    assert folder.state() == "failed" and not folder.holds_run()
    folder.claim().release()


def test_force_moves_a_stopped_run_aside_and_keeps_its_checkpoint(tmp_path: Path) -> None:
    folder = RunFolder(ended_run(tmp_path / "run", "stopped"))
    lock = folder.claim(force=True)
    lock.release()
    assert lock.replaced is not None and lock.replaced.name.startswith("run.replaced-")
    assert find_checkpoints(lock.replaced).latest == lock.replaced / "checkpoint-4"
    assert sorted(path.name for path in folder.path.iterdir()) == []


def test_the_working_folder_is_never_moved_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = ended_run(tmp_path / "run", "completed")
    monkeypatch.chdir(run_dir)
    with pytest.raises(RunLockError, match="holds the folder ft-tui runs in"):
        RunFolder(run_dir).set_aside()
    assert (run_dir / "events.jsonl").exists()


def test_output_dir_with_a_tilde_is_one_folder_for_every_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_config: Callable[..., RunConfig]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    config = make_config(output_dir="~/runs/x", dataset_prepared_path="~/prepared")
    expected = tmp_path / "home" / "runs" / "x"
    assert RunFolder.of(config.output_dir).path == expected
    assert Path(with_outputs_expanded(config).output_dir) == expected
    assert config.prepared_path() == str(tmp_path / "home" / "prepared")
    from engine.config.paths import shown_paths

    assert dict(shown_paths(config))["output_dir"] == expected


def test_resume_is_offered_only_for_a_whole_checkpoint_on_disk(tmp_path: Path) -> None:
    """The monitor's Resume asks the owner: a checkpoint event whose folder is gone or torn offers nothing."""
    folder = RunFolder(ended_run(tmp_path / "run", "stopped", checkpoint=False))
    assert folder.resume_checkpoint() is None
    fake_checkpoint(folder.path / "checkpoint-2")
    assert folder.resume_checkpoint() == folder.path / "checkpoint-2"


def _cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("name", ["optimizer.pt", "adapter_model.safetensors"])
def test_a_truncated_optimizer_or_adapter_file_makes_the_older_checkpoint_the_latest(tmp_path: Path, name: str) -> None:
    import torch
    from safetensors.torch import save_file

    for step in (2, 4):
        folder = fake_checkpoint(tmp_path / f"checkpoint-{step}")
        save_file({"lora_A": torch.ones(64, 8)}, folder / "adapter_model.safetensors")
        torch.save({"state": {0: {"exp_avg": torch.ones(64, 8)}}}, folder / "optimizer.pt")
    assert checkpoint_problem(tmp_path / "checkpoint-4") is None
    _cut(tmp_path / "checkpoint-4" / name)
    search = find_checkpoints(tmp_path)
    assert search.latest == tmp_path / "checkpoint-2"
    assert search.notes() == [f"skipped checkpoint-4: {name} is truncated"]


def test_cli_train_into_a_stopped_runs_folder_refuses_and_names_both_fixes(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    from tests.train.conftest import run_engine, write_config

    config = make_config(max_steps=2)
    ended_run(Path(config.output_dir), "stopped")
    before = (Path(config.output_dir) / "events.jsonl").read_text()
    done = run_engine(str(write_config(config, tmp_path / "cfg.yml")))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "--resume" in done.stderr and "--force" in done.stderr and "stopped run (step 4)" in done.stderr
    assert (Path(config.output_dir) / "events.jsonl").read_text() == before  # nothing appended
    assert os.listdir(tmp_path).count("run") == 1


def test_the_run_is_named_once_for_the_engine_the_launcher_and_the_monitor(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    """The launcher once named a run by its folder while the engine used wandb_name: the runs list disagreed."""
    from engine.runs.registry import display_name, run_name_of
    from engine.runs.status import RunStatus

    assert run_name_of(make_config(wandb_name="quill")) == "quill"
    assert run_name_of(make_config()) == "run"
    assert display_name(tmp_path / "folder", None, RunStatus()) == "folder"
    assert display_name(tmp_path / "folder", None, RunStatus(run_name="quill")) == "quill"
