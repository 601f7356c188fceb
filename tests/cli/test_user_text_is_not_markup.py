"""User text is never markup: a finding quoting `[assistant]` and a path with `[exp]` print whole from every
command and every wizard dialog (Rich and Textual would read both as style tags and drop them)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import Static

from engine.config import parse_config_dict
from engine.events import CheckpointEvent, PhaseEvent, WarningEvent
from engine.train import TrainResult

FINDING = "roles_to_train: [assistant] trains only the assistant turns"
FOLDER = "runs/[exp]"


def _recording_console() -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, width=300, color_system=None), stream


def test_train_prints_findings_and_paths_as_written(tmp_path: Path) -> None:
    from engine.cli.train import TrainView

    out, stream = _recording_console()
    config = parse_config_dict({"base_model": "m", "datasets": [{"path": "d.jsonl"}], "output_dir": FOLDER})
    view = TrainView(out, config)
    view.on_event(PhaseEvent(phase="starting", detail=FOLDER))
    view.on_event(WarningEvent(message=FINDING, rule_id="data.roles"))
    view.on_event(CheckpointEvent(step=1, path=f"{FOLDER}/checkpoint-1"))
    view.summary(TrainResult(status="failed", step=1, output_dir=Path(FOLDER), message=f"{FINDING} in {FOLDER}"))
    text = stream.getvalue()
    assert text.count("[assistant]") == 2 and text.count("[exp]") == 3


def test_merge_prints_the_folder_as_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import engine.infer
    from engine.cli import merge

    monkeypatch.setattr(merge, "read_run_config", lambda _args: None)
    monkeypatch.setattr(engine.infer, "LoadRequest", lambda *_a, **_k: None)

    def merged(_request: object, progress: object) -> Path:
        progress(f"loading {FINDING}")  # type: ignore[operator]
        return Path(FOLDER) / "merged"

    monkeypatch.setattr(engine.infer, "merge_adapter", merged)
    args = argparse.Namespace(config="c.yml", adapter=None, dtype=None)
    assert merge.run(args) == 0
    captured = capsys.readouterr()
    assert "[exp]/merged" in captured.out and "[assistant]" in captured.err


def test_preprocess_prints_paths_as_written(
    tmp_path: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import preprocess

    folder = tmp_path / "[exp]"
    folder.mkdir()
    data = tmp_path / "a.json"  # a dataset path with brackets is read as a glob by `datasets` (not a markup matter)
    data.write_text(json.dumps([{"instruction": f"q {i}?", "output": f"a {i}."} for i in range(8)]))
    config = folder / "run.yml"
    config.write_text(
        f"base_model: {tiny_model_dir}\ndatasets:\n  - path: {data}\n    type: alpaca\nsequence_len: 128\n"
        f"dataset_prepared_path: {folder / 'prepared'}\n"
    )
    parser = argparse.ArgumentParser()
    preprocess.register(parser.add_subparsers())
    args = parser.parse_args(["preprocess", str(config)])
    assert args.handler(args) == 0
    captured = capsys.readouterr()
    assert "[exp]" in captured.out + captured.err


class _DialogApp(App[None]):
    def __init__(self, screen: object) -> None:
        super().__init__()
        self.dialog = screen

    def on_mount(self) -> None:
        self.push_screen(self.dialog)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["choice", "prompt"])
async def test_wizard_dialogs_show_the_text_as_written(kind: str) -> None:
    from tui.screens.dialogs import ChoiceDialog, TextPrompt

    question = f"{FOLDER} already holds a run ({FINDING}). Replace it?"
    dialog = ChoiceDialog(question, [("cancel", "Cancel")]) if kind == "choice" else TextPrompt(FOLDER, "", question)
    app = _DialogApp(dialog)
    async with app.run_test() as pilot:
        await pilot.pause()
        shown = " ".join(str(widget.render()) for widget in app.screen.query(Static))
        assert "[exp]" in shown and "[assistant]" in shown


async def test_wizard_notifications_keep_brackets() -> None:
    """notify_error and the wizard's path notices pass markup=False; a toast's text is its message as written."""
    from engine.errors import FtTuiError
    from tui.notify import notify_error

    app: App[None] = App()
    async with app.run_test() as pilot:
        notify_error(app, FtTuiError(f"{FINDING} in {FOLDER}"))
        await pilot.pause()
        (note,) = list(app._notifications)
        assert note.markup is False and "[exp]" in note.message


def _shown(note: object) -> str:
    """A toast's text as the screen draws it: its message read as markup unless markup is off."""
    from textual.content import Content

    message = note.message  # type: ignore[attr-defined]
    return Content.from_markup(message).plain if note.markup else message  # type: ignore[attr-defined]


async def test_monitor_path_notices_keep_brackets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The monitor's notices name the run folder (no config copy to chat or start from; the folder copied to the
    clipboard where no file manager opens): a folder under `[exp]` shows as written."""
    from engine.runs.paths import EVENTS_FILE
    from tui.monitor.app import MonitorApp

    run_dir = tmp_path / "[exp]" / "run"
    run_dir.mkdir(parents=True)
    fixture = Path(__file__).parents[1] / "fixtures" / "events" / "complete.jsonl"
    (run_dir / EVENTS_FILE).write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = MonitorApp(run_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        for action in ("action_chat", "action_new", "action_open"):
            getattr(screen, action)()
        await pilot.pause()
        shown = [_shown(note) for note in app._notifications]
        assert len(shown) == 3
        assert all("[exp]" in text for text in shown), shown
