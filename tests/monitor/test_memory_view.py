"""Memory in the monitor: plotted against the device's total, and one warning when the peak comes within 10%."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot

from engine.events import EVENTS_FILE
from tests.monitor.conftest import FIXTURES, recorded_run
from tests.monitor.helpers import settle, until
from tui.monitor.app import MonitorApp
from tui.monitor.screens.memory import MemoryScreen

TOTAL_MB = 4096.0


def memory_run(tmp_path: Path, peak_mb: float) -> Path:
    """The complete fixture run on a 4 GiB device, its memory growing linearly to `peak_mb` at the last step."""
    run_dir = recorded_run(tmp_path, "complete.jsonl")
    lines = []
    for line in (FIXTURES / "complete.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["type"] == "started":
            event |= {"memory_total_mb": TOTAL_MB, "memory_estimate_mb": 2900.0}
        if event["type"] == "step":
            used = 1800.0 + (peak_mb - 1800.0) * event["step"] / 120
            event |= {"memory_mb": used, "rss_mb": used * 0.95}
        lines.append(json.dumps(event))
    (run_dir / EVENTS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run_dir


def warnings(app: MonitorApp) -> list[str]:
    return [line.text for line in app.screen.model.log if line.level == "warning" and line.text.startswith("memory")]


async def test_the_peak_near_the_limit_warns_once_and_the_view_plots_it(tmp_path: Path) -> None:
    app = MonitorApp(memory_run(tmp_path, peak_mb=3900.0))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await settle(pilot, 160)
        assert warnings(app) == [
            "memory: peak 3.6 GiB of 4.0 GiB (90%), within 10% of the limit; the run may stop with out of memory"
        ]
        assert screen.check_action("memory", ())
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, MemoryScreen))
        await pilot.pause()
        title = str(app.screen.query_one("#memory-title").render())
        assert "peak 3.8 GiB of 4.0 GiB (95%)" in title and "within 10%" in title
        legend = str(app.screen.query_one("#memory-chart").render()).splitlines()[0]
        assert "limit" in legend and "peak" in legend and "resident now" in legend


async def test_a_run_well_below_its_limit_does_not_warn(tmp_path: Path) -> None:
    app = MonitorApp(memory_run(tmp_path, peak_mb=2500.0))
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot, 160)
        assert warnings(app) == []


def memory_view(pilot_size: tuple[int, int]):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, 160)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(pilot.app.screen, MemoryScreen))
        await pilot.pause()

    return run_before


class TestMemoryView:
    def test_near_the_limit_at_80x24(self, snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        app = MonitorApp(memory_run(tmp_path, peak_mb=3900.0))
        assert snap_compare(app, terminal_size=(80, 24), run_before=memory_view((80, 24)))
