"""The runs list's Compare: mark two real finished runs (different lora_r), see both curves and what differs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable

from engine.runs.registry import LaunchInfo, save_launch
from tests.monitor.helpers import until
from tests.train.test_compare import trained_pair  # noqa: F401  (the module-scoped fixture: two real tiny runs)
from tui.monitor.app import MonitorApp
from tui.monitor.screens import RunsScreen
from tui.monitor.screens.compare import CompareScreen
from tui.monitor.widgets.chart import LineChart


@pytest.fixture
def registered(trained_pair: tuple[Path, Path], tmp_path: Path, data_dir: Path) -> list[Path]:  # noqa: F811
    """Copies of the two runs in the runs list, as the launcher records runs it started."""
    folders = []
    for folder in trained_pair:
        copy = tmp_path / folder.name
        shutil.copytree(folder, copy)
        save_launch(LaunchInfo(str(copy), str(copy / "config.yml"), str(tmp_path), ["engine"], None, None, 0))
        folders.append(copy)
    return folders


async def test_marked_runs_open_in_compare_with_both_curves_and_lora_r(registered: list[Path]) -> None:
    app = MonitorApp(None)
    async with app.run_test(size=(100, 32)) as pilot:
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        await until(pilot, lambda: runs.loaded and len(runs.records) == 2)
        await pilot.press("c")  # nothing marked yet: a notice, no screen
        assert app.screen is runs
        await pilot.press("space", "down", "space")
        assert len(runs.marked) == 2
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison is not None)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await pilot.pause()
        table = screen.query_one(DataTable)
        labels = [str(table.get_row_at(index)[0]) for index in range(table.row_count)]
        assert "lora_r" in labels and "eval loss" in labels and "peak memory" in labels
        for chart_id in ("#compare-loss", "#compare-eval"):
            chart = screen.query_one(chart_id, LineChart)
            legend = str(chart.render()).splitlines()[0]
            assert legend.count("■") == 2 and "r4" in legend and "r8" in legend
        await pilot.press("escape")
        assert app.screen is runs


async def test_a_marked_run_whose_folder_went_missing_says_so(registered: list[Path]) -> None:
    app = MonitorApp(None)
    async with app.run_test(size=(100, 32)) as pilot:
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        await until(pilot, lambda: runs.loaded and len(runs.records) == 2)
        await pilot.press("space", "down", "space")
        shutil.rmtree(registered[1])
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        title = app.screen.query_one("#compare-title")
        await until(pilot, lambda: "cannot compare" in str(title.render()))
        assert "is not a folder" in str(title.render())
