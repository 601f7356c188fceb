"""`ft-tui train CONFIG --nproc 2 --detach` with the real engine on a tiny model: one run of two ranks that the
runs list shows once, that stops on every rank and resumes on every rank. Plus the launcher pieces, fast."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.events import EVENTS_FILE, FinishedEvent, StartedEvent, read_events
from engine.runs import list_runs, read_launch, read_status, resume_run, run_record, stop_run
from engine.runs.launch import engine_command
from engine.runs.process import child_pids, is_alive, stop_workers
from tests.monitor.test_real_engine import tiny_project
from tui.cli import main


def test_several_processes_start_through_torchrun() -> None:
    assert engine_command(2) == [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "engine.train",
    ]
    assert engine_command(1) == [sys.executable, "-m", "engine.train"]


def test_stop_workers_signals_the_launchers_children_in_their_own_sessions() -> None:
    """Like torchrun: a launcher whose workers lead their own sessions; the workers get SIGTERM, the launcher not."""
    launcher_code = (
        "import subprocess, sys\n"
        "kids = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)"
        " for _ in range(2)]\n"
        "print('ready', flush=True)\n"
        "sys.exit(sum(abs(kid.wait()) for kid in kids))\n"
    )
    launcher = subprocess.Popen([sys.executable, "-c", launcher_code], stdout=subprocess.PIPE, text=True)
    try:
        assert launcher.stdout is not None and launcher.stdout.readline().strip() == "ready"
        assert len(child_pids(launcher.pid)) == 2
        assert stop_workers(launcher.pid)
        assert launcher.wait(timeout=30) == 2 * 15, "each worker ended by SIGTERM (15), the launcher by itself"
    finally:
        if launcher.poll() is None:
            launcher.kill()
    assert not stop_workers(launcher.pid), "no workers: the caller signals the launcher instead"


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow  # two 2-rank engine starts on a loaded CPU: a minute or two
def test_two_process_run_detaches_stops_and_resumes_on_every_rank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cleanup_runs: list[Path]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    config = tiny_project(project)
    assert main(["train", str(config), "--detach", "--nproc", "2"]) == 0
    run_dir = (project / "outputs" / "tiny").resolve()
    cleanup_runs.append(run_dir)
    launch = read_launch(run_dir)
    assert launch is not None and launch.nproc == 2 and "--nproc_per_node=2" in launch.command

    _wait(lambda: read_status(run_dir).step >= 2 or not is_alive(launch.pid), 180, "the first steps")
    workers = child_pids(launch.pid)
    assert len(workers) == 2, (run_dir / "console.log").read_text()
    runs = list_runs()
    assert [record.run_dir for record in runs] == [run_dir] and runs[0].state == "training"

    stop_run(run_dir)
    _wait(lambda: not is_alive(launch.pid, launch.pid_token), 120, "the launcher to exit after the stop")
    assert not any(is_alive(pid) for pid in workers), "every rank stopped"
    events = read_events(run_dir / EVENTS_FILE)
    finished = [event for event in events if isinstance(event, FinishedEvent)]
    assert [event.status for event in finished] == ["stopped"]
    checkpoint = finished[0].checkpoint
    assert checkpoint is not None and (Path(checkpoint) / "trainer_state.json").is_file()
    assert run_record(run_dir).state == "stopped"

    resume_run(run_dir)
    resumed = read_launch(run_dir)
    assert resumed is not None and resumed.nproc == 2 and resumed.pid != launch.pid
    _wait(lambda: read_status(run_dir).step > finished[0].step, 180, "a step after the resume")
    started = [event for event in read_events(run_dir / EVENTS_FILE) if isinstance(event, StartedEvent)]
    assert [event.resumed_from for event in started] == [None, checkpoint], "rank 0 alone announced each start"
    assert len(child_pids(resumed.pid)) == 2
    assert read_status(run_dir).tokens_seen > 0
    stop_run(run_dir)
    _wait(lambda: not is_alive(resumed.pid, resumed.pid_token), 120, "the resumed launcher to exit")
