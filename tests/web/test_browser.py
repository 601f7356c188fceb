"""`ft-tui serve` in a real headless Chromium: set up a config with the keys, save it, run it, find it in the runs
list; ten tabs leave no process; a killed server leaves its runs training. Screenshots of each stage are written
under the test's temporary folder (`screenshots/`)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import yaml

from engine.presets import DEFAULT_PRESET, load_preset
from engine.runs import list_runs, read_launch
from engine.runs.process import is_alive
from tests.conftest import UserFolders
from tests.web.browser import Tab, chromium, open_tab
from tests.web.serving import serving, wait_until
from tests.web.test_serve_security import files_holding

STEPS = 6
RUNS_HINT = "Runs started from the wizard"  # the runs list's hint line; its table's header has "Last loss"
FONT_HOST = "fonts.googleapis.com"  # the only request the page makes beyond the server, and it is refused


def walk_to_review(tab: Tab) -> None:
    """Enter on the default preset, then Next through the six steps with Alt+N (a real browser keeps Ctrl+N for a
    new window; headless Chromium would pass it, which would prove nothing), a screenshot of each."""
    for number in range(1, STEPS + 1):
        tab.press("Enter" if number == 1 else "Alt+n")
        tab.wait_for_screen(f"Step {number} of {STEPS}")
        tab.shot(f"{number}-step")


def test_a_tab_sets_up_saves_and_runs_a_config_then_lists_the_finished_run(
    tmp_path: Path, fake_engine: Callable[[str, float], None], cleanup_runs: list[Path]
) -> None:
    fake_engine("complete.jsonl", 0.0)
    project, saved = tmp_path / "project", tmp_path / "project" / "from the browser.yml"
    project.mkdir()
    with serving(project) as served, chromium() as browser:
        tab = open_tab(browser, f"{served.base()}/", tmp_path / "screenshots")
        tab.shot("0-start")
        since = tab.mark()
        tab.press("F1")
        tab.wait_for("In a web browser", "Ctrl+N", since=since)  # the help says how the page differs
        tab.shot("0-help")
        since = tab.mark()
        tab.press("Escape")  # then wait for the redraw: an Enter hard on the heels of Esc would read as Alt+Enter
        tab.wait_for(f"New run: {DEFAULT_PRESET}", since=since)
        walk_to_review(tab)

        since = tab.mark()
        tab.press("Control+s")
        tab.wait_for("Save the config as", since=since)
        tab.press("Home", "Control+k")
        tab.page.keyboard.type(str(saved))
        since = tab.mark()
        tab.press("Enter")
        tab.wait_for("saved", since=since)
        tab.shot("7-saved")
        written = yaml.safe_load(saved.read_text(encoding="utf-8"))
        preset = load_preset(DEFAULT_PRESET)
        assert written["base_model"] == preset.base_model
        assert written["adapter"] == "lora"
        assert written["output_dir"] == preset.output_dir
        assert "Written by the ft-tui wizard" in saved.read_text(encoding="utf-8")

        tab.press("Control+r")  # Run: the config is saved, so it starts at once and the monitor opens
        wait_until(lambda: [run.state for run in list_runs()] == ["finished"], 60, "the run to finish")
        [record] = list_runs()
        cleanup_runs.append(record.run_dir)
        tab.wait_for_screen("finished")
        tab.shot("8-monitor")

        tab.press("Control+o")
        tab.wait_for_screen(RUNS_HINT)
        tab.wait_for_screen("finished", "120/120")
        tab.shot("9-runs")
        assert {urlsplit(url).hostname for url in tab.blocked} <= {FONT_HOST}


def test_the_mouse_picks_a_preset_a_step_and_presses_next(tmp_path: Path) -> None:
    """Clicks where the screen shows a text (the screen rebuilt from the app's output, as the page draws it)."""
    with serving(tmp_path) as served, chromium() as browser:
        tab = open_tab(browser, f"{served.base()}/", tmp_path / "screenshots")
        for click, shows in (
            (f"New run: {DEFAULT_PRESET}", "Step 1 of"),
            ("3 LoRA", "Step 3 of"),
            ("Next →", "Step 4 of"),
        ):
            click_until(tab, click, shows)
        tab.shot("mouse-step-4")


def click_until(tab: Tab, text: str, shows: str, tries: int = 3) -> None:
    """Click `text` until the screen shows `shows`. A new step moves its rows by one when the focus leaves the
    step list for the form, which on a loaded machine can come after the text looked settled: a click that landed
    on the neighbouring step is made again where the text is now."""
    for attempt in range(tries):
        tab.click_text(text)
        try:
            tab.wait_for_screen(shows, seconds=20)
            return
        except AssertionError:
            if attempt == tries - 1:
                raise


def test_ten_tabs_opened_and_closed_leave_no_app_process(tmp_path: Path) -> None:
    with serving(tmp_path) as served, chromium() as browser:
        for number in range(10):
            tab = open_tab(browser, f"{served.base()}/", tmp_path / "screenshots")
            assert served.app_processes(), f"tab {number} runs no app process"
            tab.page.close()
        wait_until(lambda: not served.app_processes(), 60, "every tab's app process to end")


def test_a_killed_server_leaves_the_run_of_its_tab_training_and_a_new_server_shows_it(
    tmp_path: Path, fake_engine: Callable[[str, float], None], cleanup_runs: list[Path], user_folders: UserFolders
) -> None:
    """The first server listens on every interface behind a token; no file written holds the token."""
    fake_engine("complete.jsonl", 0.5)
    token = "browser-test-token-0123456789"
    project = tmp_path / "project"
    project.mkdir()
    shots = tmp_path / "screenshots"
    with chromium() as browser:
        with serving(project, "--token", token, host="0.0.0.0") as served:
            tab = open_tab(browser, f"{served.base()}/?token={token}", shots)
            walk_to_review(tab)
            since = tab.mark()
            tab.press("Control+r")
            tab.wait_for("Save the config as", since=since)
            tab.press("Enter")  # the proposed name, in the server's folder
            wait_until(lambda: [run.state for run in list_runs()] == ["training"], 60, "the run to train")
            tab.shot("8-monitor-live")
            [record] = list_runs()
            cleanup_runs.append(record.run_dir)
            apps = served.app_processes()
            served.process.send_signal(signal.SIGKILL)
            served.process.wait()
        launch = read_launch(record.run_dir)
        assert launch is not None and is_alive(launch.pid, launch.pid_token), "the run died with the server"
        wait_until(lambda: not any(_running(app) for app in apps if app.pid != launch.pid), 30, "orphaned apps to end")

        with serving(project) as served:
            tab = open_tab(browser, f"{served.base()}/", shots)
            tab.press("Control+o")
            tab.wait_for_screen(RUNS_HINT)
            tab.wait_for_screen("training", "/120")
            tab.shot("10-runs-after-restart")
        assert is_alive(launch.pid, launch.pid_token)
    folders = (project, user_folders.config, user_folders.cache, user_folders.data)
    assert files_holding(token, *folders) == []


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
