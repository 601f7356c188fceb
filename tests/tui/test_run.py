"""Run from the review step starts the engine detached and opens the live monitor (with the monitor's fake engine)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config import load_config
from engine.runs import read_launch
from engine.runs.launch import ENGINE_COMMAND_ENV
from engine.runs.process import is_alive, send_stop
from engine.runs.registry import LaunchInfo, save_launch
from tests.tui.conftest import REPO, TARGET, wait_for
from tui.app import WizardApp, create_app
from tui.screens import STEP_SCREENS
from tui.screens.dialogs import TextPrompt
from tui.services.data_preview import Services
from tui.state import WizardState

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


def finished_run(tmp_path: Path) -> tuple[Path, Path]:
    """(the user's config, the run folder's copy of it) of a run the launcher started from `project/quill.yml`."""
    project = tmp_path / "project"
    project.mkdir()
    original = project / "quill.yml"
    run_dir = project / "outputs" / "quill"
    text = preset_copy().replace("output_dir: ./outputs/smollm2-135m-lora", "output_dir: ./outputs/quill")
    original.write_text(text, "utf-8")
    run_dir.mkdir(parents=True)
    run_copy = run_dir / "run_config.yml"
    run_copy.write_text(text, "utf-8")
    info = LaunchInfo(str(run_dir), str(run_copy), str(project), ["engine"], None, None, 0, source_config=str(original))
    save_launch(info)
    return original, run_copy


def assert_new_run(state: WizardState | None, original: Path, run_copy: Path) -> Path:
    """A new unsaved file beside the original config (not the run's copy), training into a fresh folder."""
    assert state is not None and state.dirty and state.path is not None
    assert state.path.parent == original.parent and state.path.name.startswith("quill.new-")
    assert state.path.suffix == ".yml" and not state.path.exists()
    assert state.config.output_dir.startswith("outputs/quill.new-")
    return state.path


async def test_new_run_from_the_monitor_saves_beside_the_original_config_into_a_fresh_folder(
    make_app: Callable[..., WizardApp], tmp_path: Path, fake_engine: None
) -> None:
    """Ctrl+S after New run used to offer the run's own run_config.yml and kept its output_dir."""
    from tui.monitor.screens import MonitorScreen

    original, run_copy = finished_run(tmp_path)
    copy_text = run_copy.read_text("utf-8")
    app = make_app("smollm2-135m-lora")
    async with app.run_test(size=(100, 32)) as pilot:
        app.goto("review")
        await pilot.pause()
        await app.push_screen(MonitorScreen(run_copy.parent))  # returns once the monitor is mounted
        await pilot.pause()
        app.screen.post_message(MonitorScreen.NewRunRequested(run_copy))
        await wait_for(pilot, lambda: isinstance(app.screen, STEP_SCREENS["model"]) and app.screen.is_mounted)
        await pilot.pause()
        new_file = assert_new_run(app.state, original, run_copy)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press("enter")  # the name offered: the new file
        await wait_for(pilot, new_file.exists)
    assert run_copy.read_text("utf-8") == copy_text
    assert load_config(new_file).output_dir == app.state.config.output_dir  # type: ignore[union-attr]


def test_new_run_from_the_monitor_app_opens_the_wizard_on_a_new_file(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ft-tui monitor RUN`, then n: the wizard it starts opens the new file, not the run's copy."""
    monkeypatch.chdir(tmp_path)
    original, run_copy = finished_run(tmp_path)
    app = create_app(None, run_copy, target=TARGET, services=services, new_run=True)
    assert_new_run(app.state, original, run_copy)


def test_a_run_started_without_the_launcher_gets_its_new_config_beside_the_run_folder(tmp_path: Path) -> None:
    from tui.new_run import new_run_state

    run_dir = tmp_path / "outputs" / "quill"
    run_dir.mkdir(parents=True)
    (run_dir / "config.yml").write_text(preset_copy().replace("./outputs/smollm2-135m-lora", str(run_dir)), "utf-8")
    state = new_run_state(run_dir / "config.yml")
    assert state.path is not None and state.path.parent == run_dir.parent and state.path.name.startswith("config.new-")
    assert Path(state.config.output_dir).parent == run_dir.parent
    assert Path(state.config.output_dir).name.startswith("quill.new-")


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
