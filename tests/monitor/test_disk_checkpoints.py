"""The monitor shows and resumes what is on disk: checkpoints that save_total_limit deleted (or a torn one) are
neither listed nor offered for Resume, whatever the events say."""

from __future__ import annotations

import time
from pathlib import Path

from engine.events import CheckpointEvent, FinishedEvent
from engine.events.writer import EventWriter
from engine.runs.registry import LaunchInfo, save_launch
from tests.tiny import fake_checkpoint
from tui.monitor.app import MonitorApp
from tui.monitor.screens import MonitorScreen
from tui.monitor.widgets.panels import CheckpointList


def _stopped_run(run_dir: Path, saved: tuple[int, ...]) -> None:
    run_dir.mkdir(parents=True)
    with EventWriter(run_dir / "events.jsonl") as writer:
        for step in saved:
            writer.emit(CheckpointEvent(step=step, path=str(run_dir / f"checkpoint-{step}")))
        writer.emit(FinishedEvent(status="stopped", step=saved[-1], elapsed_s=1.0))


async def test_the_list_is_the_disk_after_save_total_limit_deleted_the_old_ones(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    _stopped_run(run_dir, (2, 4, 6))
    for step in (4, 6):  # save_total_limit: 2 deleted checkpoint-2 when checkpoint-6 was written
        fake_checkpoint(run_dir / f"checkpoint-{step}")
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await pilot.pause()
        shown = str(screen.query_one(CheckpointList).content)
        assert "checkpoint-4" in shown and "checkpoint-6" in shown and "checkpoint-2" not in shown


async def _resume_offered(run_dir: Path) -> bool:
    async with MonitorApp(run_dir).run_test(size=(100, 32)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, MonitorScreen)
        await pilot.pause()
        assert screen.state == "stopped"
        return screen.check_action("resume", ()) is True


async def test_resume_is_offered_only_for_a_whole_checkpoint_on_disk(tmp_path: Path) -> None:
    """The events name checkpoint-2 each time; only the disk differs."""
    run_dir = tmp_path / "run"
    _stopped_run(run_dir, (2,))
    save_launch(
        LaunchInfo(str(run_dir), str(run_dir / "run_config.yml"), str(tmp_path), ["python"], None, None, time.time())
    )
    assert not await _resume_offered(run_dir)  # deleted
    (run_dir / "checkpoint-2").mkdir()
    assert not await _resume_offered(run_dir)  # torn: an empty folder
    (run_dir / "checkpoint-2").rmdir()
    fake_checkpoint(run_dir / "checkpoint-2")
    assert await _resume_offered(run_dir)
