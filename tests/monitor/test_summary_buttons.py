"""The end-of-run panel's buttons run their screen action (found by mypy: the action's coroutine was never awaited)."""

from __future__ import annotations

from pathlib import Path

from engine.runs.paths import CONFIG_FILE
from tests.monitor.conftest import recorded_run
from tests.monitor.helpers import settle, until
from tui.monitor.app import MonitorApp
from tui.monitor.widgets.summary import SummaryPanel


async def test_new_run_button_hands_the_runs_config_back(tmp_path: Path) -> None:
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    config = run_dir / CONFIG_FILE
    config.write_text("base_model: HuggingFaceTB/SmolLM2-135M-Instruct\n", encoding="utf-8")
    app = MonitorApp(run_dir)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await settle(pilot, 160)
        assert screen.query_one(SummaryPanel).has_class("-ended")
        await pilot.click("#summary-new")
        await until(pilot, lambda: app.return_value is not None)
    assert app.return_value == config
