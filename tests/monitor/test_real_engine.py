"""The real engine on a tiny model: start detached, re-attach the monitor, stop it, resume it, watch it finish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import parse_config_dict, save_config
from engine.events import EVENTS_FILE, read_events
from engine.runs import run_record, start_detached
from engine.runs.folder import RunFolder
from tests.monitor.helpers import until
from tests.tiny import tiny_llama, tiny_tokenizer
from tui.monitor.app import MonitorApp
from tui.monitor.screens import MonitorScreen
from tui.monitor.screens.monitor import Pending

ROWS = [
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, and exercise."},
    {"instruction": "What is the capital of France?", "input": "", "output": "The capital of France is Paris."},
]


def tiny_project(folder: Path) -> Path:
    """A project folder with a tiny model, a dataset and a config whose paths are relative, as a user writes them."""
    tiny_llama().save_pretrained(folder / "model")
    tiny_tokenizer().save_pretrained(folder / "model")
    (folder / "rows.json").write_text(json.dumps(ROWS * 200), encoding="utf-8")
    config = parse_config_dict(
        {
            "base_model": "./model",
            "datasets": [{"path": "rows.json", "type": "alpaca"}],
            "output_dir": "./outputs/tiny",
            "sequence_len": 128,
            "sample_packing": False,
            "adapter": "lora",
            "lora_r": 4,
            "lora_alpha": 8,
            "lora_target_linear": True,
            "micro_batch_size": 1,
            "gradient_accumulation_steps": 1,
            "num_epochs": 1,
            "max_steps": 300,
            "save_steps": 1000,
            "learning_rate": 1e-3,
            "optimizer": "adamw_torch",
            "lr_scheduler": "constant",
            "bf16": False,
            "val_set_size": 0,
            "seed": 7,
        }
    )
    return save_config(config, folder / "config.yml")


@pytest.mark.slow
async def test_detach_reattach_stop_resume_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleanup_runs: list[Path]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    run_dir = start_detached(tiny_project(project))
    cleanup_runs.append(run_dir)

    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: screen.model.status.step >= 1 or screen.state == "failed", timeout=120)
        assert screen.state == "training", screen.model.status.error
    # The monitor is gone (as when the TUI quits); the run goes on. A new monitor re-attaches, stops and resumes it.
    assert run_record(run_dir).state == "training"
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await until(pilot, lambda: screen.model.status.step >= 1, timeout=30)
        await pilot.press("s")
        await pilot.click("#confirm")
        await until(pilot, lambda: screen.state == "stopped" and screen.pending is Pending.NONE, timeout=60)
        stopped_at = screen.model.status.step
        assert stopped_at < 300 and RunFolder(run_dir).resume_checkpoint() is not None
        await pilot.press("r")
        await until(pilot, lambda: screen.state == "finished", timeout=180)
        assert list(screen.model.loss.raw.xs) == list(range(1, 301)), "one continuous curve across the resume"
    events = read_events(run_dir / EVENTS_FILE)
    finished = [event for event in events if event.type == "finished"]
    assert [event.status for event in finished] == ["stopped", "completed"]
    assert (run_dir / "adapter_config.json").is_file()
