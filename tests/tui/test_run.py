"""Run from the review step starts the engine detached and opens the live monitor (with the monitor's fake engine)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.runs import read_launch
from engine.runs.launch import ENGINE_COMMAND_ENV
from engine.runs.process import is_alive, send_stop
from tests.tui.conftest import REPO, wait_for
from tui.app import WizardApp
from tui.screens import STEP_SCREENS

FAKE_ENGINE = REPO / "tests" / "monitor" / "fake_engine.py"
EVENTS = REPO / "tests" / "fixtures" / "events" / "complete.jsonl"


def preset_copy() -> str:
    """The default preset's text for a file elsewhere: its data path (relative to presets/) made absolute."""
    text = (REPO / "presets" / "smollm2-135m-lora.yml").read_text(encoding="utf-8")
    return text.replace("path: data/", f"path: {REPO / 'presets' / 'data'}/")


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_COMMAND_ENV, f"{sys.executable} {FAKE_ENGINE}")
    monkeypatch.setenv("FAKE_ENGINE_STREAM", str(EVENTS))
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0.01")


async def test_run_starts_the_engine_and_opens_the_monitor(
    make_app: Callable[..., WizardApp], tmp_path: Path, fake_engine: None
) -> None:
    from tui.monitor.screens import MonitorScreen

    run_dir = tmp_path / "outputs" / "quill"
    config = tmp_path / "quill.yml"
    text = preset_copy().replace("output_dir: ./outputs/smollm2-135m-lora", f"output_dir: {run_dir}")
    config.write_text(text, "utf-8")
    app = make_app(config_path=config)
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            app.goto("review")
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen))
            assert read_launch(run_dir) is not None
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, STEP_SCREENS["review"])
    finally:
        launch = read_launch(run_dir)
        if launch is not None and launch.pid and is_alive(launch.pid, launch.pid_token):
            send_stop(launch.pid)


async def test_new_run_from_the_monitor_edits_an_unsaved_copy_of_the_runs_config(
    make_app: Callable[..., WizardApp], tmp_path: Path, fake_engine: None
) -> None:
    from tui.monitor.screens import MonitorScreen

    run_copy = tmp_path / "run" / "run_config.yml"
    run_copy.parent.mkdir()
    run_copy.write_text(preset_copy(), "utf-8")
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("review")
        await pilot.pause()
        await app.push_screen(MonitorScreen(run_copy.parent))  # returns once the monitor is mounted
        await pilot.pause()
        app.screen.post_message(MonitorScreen.NewRunRequested(run_copy))
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["model"]) and app.screen.is_mounted)
        await pilot.pause()
        assert app.state is not None and app.state.path is None and app.state.dirty
        assert app.state.origin == "run run"


async def test_sidebar_jumps_and_escape_goes_back(make_app: Callable[..., WizardApp]) -> None:
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.screen.query_one("#steps").focus()
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["sequence"])
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, STEP_SCREENS["lora"])


def config_into(tmp_path: Path, run_dir: Path) -> Path:
    config = tmp_path / "quill.yml"
    config.write_text(
        preset_copy().replace("output_dir: ./outputs/smollm2-135m-lora", f"output_dir: {run_dir}"), "utf-8"
    )
    return config


def stop_if_running(run_dir: Path) -> None:
    launch = read_launch(run_dir)
    if launch is not None and launch.pid and is_alive(launch.pid, launch.pid_token):
        send_stop(launch.pid)


@pytest.mark.parametrize("answer", ["cancel", "replace"])
async def test_run_into_a_folder_that_holds_a_run_asks_first(
    make_app: Callable[..., WizardApp], tmp_path: Path, fake_engine: None, answer: str
) -> None:
    """Replace moves the old run aside through the run folder's owner (never deletes it); Cancel leaves it."""
    from tui.monitor.screens import MonitorScreen
    from tui.screens.dialogs import ChoiceDialog

    run_dir = tmp_path / "outputs" / "quill"
    run_dir.mkdir(parents=True)
    old_events = (REPO / "tests" / "fixtures" / "events" / "complete.jsonl").read_text(encoding="utf-8")
    (run_dir / "events.jsonl").write_text(old_events, encoding="utf-8")
    app = make_app(config_path=config_into(tmp_path, run_dir))
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            app.goto("review")
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, ChoiceDialog) and "already holds a completed run" in app.screen.question
            assert "quill.replaced-<time>" in app.screen.question
            await pilot.click(f"#answer-{answer}")
            await pilot.pause()
            if answer == "cancel":
                assert read_launch(run_dir) is None
                assert (run_dir / "events.jsonl").read_text(encoding="utf-8") == old_events
                return
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen))
            assert read_launch(run_dir) is not None and app.config.output_dir == str(run_dir)
            (moved,) = run_dir.parent.glob("quill.replaced-*")
            assert (moved / "events.jsonl").read_text(encoding="utf-8") == old_events  # moved, not deleted
    finally:
        stop_if_running(run_dir)


async def test_quitting_from_the_monitor_says_the_run_goes_on(
    make_app: Callable[..., WizardApp], tmp_path: Path, fake_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.monitor.screens import MonitorScreen

    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0.2")  # slow enough to still be training when we quit
    run_dir = tmp_path / "outputs" / "quill"
    app = make_app(config_path=config_into(tmp_path, run_dir))
    try:
        async with app.run_test(size=(100, 32)) as pilot:
            app.goto("review")
            await pilot.pause()
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen))
            await wait_for(pilot, lambda: app.screen.state not in ("starting",))  # type: ignore[attr-defined]
            await pilot.press("ctrl+q")
            await pilot.pause()
        assert app.goodbye is not None and "goes on" in app.goodbye and f"ft-tui monitor {run_dir}" in app.goodbye
    finally:
        stop_if_running(run_dir)
