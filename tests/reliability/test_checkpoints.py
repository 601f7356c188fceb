"""Resume takes the newest complete checkpoint and says which it passed over; torn event lines stay separate."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from engine.config import RunConfig
from engine.events import LogEvent, StartedEvent, WarningEvent, read_events
from engine.events.writer import EventWriter
from engine.train.checkpoints import SAVING_MARKER, find_checkpoints
from tests.tiny import fake_checkpoint
from tests.train.conftest import engine_command, write_config

ROOT = Path(__file__).parents[2]


def _complete(folder: Path) -> Path:
    return fake_checkpoint(folder, json.dumps({"global_step": 1}))


def test_incomplete_checkpoints_are_skipped_with_the_reason(tmp_path: Path) -> None:
    good = _complete(tmp_path / "checkpoint-2")
    (tmp_path / "checkpoint-4").mkdir()  # a second Ctrl-C during the save
    truncated = _complete(tmp_path / "checkpoint-6")
    (truncated / "trainer_state.json").write_text('{"global_step": 6, "log_hist')
    marked = _complete(tmp_path / "checkpoint-8")
    (marked / SAVING_MARKER).touch()
    search = find_checkpoints(tmp_path)
    assert search.latest == good
    assert search.notes() == [
        "skipped checkpoint-8: its save was interrupted",
        "skipped checkpoint-6: trainer_state.json is truncated or not JSON",
        "skipped checkpoint-4: no trainer_state.json (an interrupted save)",
    ]


def test_resume_passes_over_broken_checkpoints_and_says_so(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    config = make_config(max_steps=2, save_steps=1)
    path = write_config(config, tmp_path / "run.yml")
    engine = engine_command(str(path))
    first = subprocess.run(engine, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert first.returncode == 0, first.stderr
    output = Path(config.output_dir)
    assert not list(output.glob(f"checkpoint-*/{SAVING_MARKER}"))  # every finished save removed its marker
    state = output / "checkpoint-2" / "trainer_state.json"
    state.write_text(state.read_text()[:40])
    (output / "checkpoint-4").mkdir()
    events_file = output / "events.jsonl"
    with events_file.open("a") as torn:
        torn.write('{"type": "step", "step": 3, "lo')  # a kill -9 in the middle of a line

    resumed = subprocess.run(
        [*engine, "--resume", "--max-steps", "2"], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    events = read_events(events_file)
    started = [e for e in events if isinstance(e, StartedEvent)][-1]
    assert started.resumed_from == str(output / "checkpoint-1")
    warnings = [e.message for e in events if isinstance(e, WarningEvent)]
    assert any("skipped checkpoint-4: no trainer_state.json" in w for w in warnings)
    assert any("skipped checkpoint-2: trainer_state.json is truncated" in w for w in warnings)
    lines = events_file.read_text().splitlines()
    assert lines.count('{"type": "step", "step": 3, "lo') == 1  # the torn line stays alone on its line


def test_an_event_after_a_torn_line_starts_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "log", "level": "info", "message": "ok"}\n{"type": "lo')
    with EventWriter(path) as writer:
        writer.emit(LogEvent(level="info", message="after"))
    lines = path.read_text().splitlines()
    assert lines[1] == '{"type": "lo'
    assert json.loads(lines[2])["message"] == "after"
