"""`ft-tui serve` in a real browser: seconds to the page's first paint and to the app's start screen, and the memory
each tab's app process takes.

Starts `ft-tui serve` on a free loopback port, opens tabs in the system Chromium (headless, through Playwright, as the
browser tests do; requests leaving 127.0.0.0/8 are refused) and times each from `page.goto`:

- page_s: the page loaded (HTML, script, styles from the server);
- first_paint_s: the first frame of the app's output reached the page (the terminal draws it at once);
- app_s: the start screen ("Welcome to ft-tui") is drawn, i.e. the tab's app process started and composed
  (read every 0.1 s, so to within 0.1 s).

For comparison, imports_s: a fresh interpreter importing the wizard and monitor modules (the part of app_s no
server or browser adds). Then opens `--tabs` tabs at once and reads the resident memory (RSS and USS, MB) of each
tab's app process at the start screen, and of one tab walked with the keys to the Review step (by then the data
analysis has loaded the tokenizer and read the dataset).
Tabs open one after another first (`--rounds`), so the timings do not race each other for the CPU.

Run: .venv/bin/python bench/serve_bench.py [--rounds 5] [--tabs 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web.browser import LOCAL_URL, VIEWPORT, Tab, chromium, open_tab  # noqa: E402  (the tests' own set-up)
from tests.web.serving import Served, serving, wait_until  # noqa: E402

READY = "Welcome to ft-tui"


def time_tab(browser: Any, served: Served, shots: Path) -> dict[str, float]:
    """One tab, timed from goto; closed afterwards and its app process awaited, so rounds do not overlap."""
    page = browser.new_page(viewport=VIEWPORT)
    tab = Tab(page, shots)
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def receive(frame: str | bytes) -> None:
        if isinstance(frame, bytes):  # the app's output (text frames are the server's pongs)
            marks.setdefault("first_paint_s", time.perf_counter() - started)
            tab.received.extend(frame)

    page.on("websocket", lambda socket: socket.on("framereceived", receive))
    page.route("**/*", lambda route: route.continue_() if LOCAL_URL.match(route.request.url) else route.abort())
    page.goto(f"{served.base()}/")
    marks["page_s"] = time.perf_counter() - started
    tab.wait_for(READY, seconds=120)
    marks["app_s"] = time.perf_counter() - started
    page.close()
    wait_until(lambda: not served.app_processes(), 60, "the tab's app to end")
    return marks


def tab_memory(browser: Any, served: Served, shots: Path, tabs: int) -> list[dict[str, float]]:
    opened = [open_tab(browser, f"{served.base()}/", shots, ready=READY) for _ in range(tabs)]
    memory = []
    for process in served.app_processes():
        info = process.memory_full_info()
        memory.append({"rss_mb": info.rss / 2**20, "uss_mb": info.uss / 2**20})
        print(f"tab app pid {process.pid}: {' '.join(process.cmdline()[-3:])}, RSS {info.rss / 2**20:.0f} MB")
    for tab in opened:
        tab.page.close()
    return memory


def walked_tab_memory(browser: Any, served: Served, shots: Path) -> dict[str, float]:
    """One tab taken to the Review step as a user would (Enter, then Next five times), then its app's memory."""
    tab = open_tab(browser, f"{served.base()}/", shots, ready=READY)
    for number in range(1, 7):
        tab.press("Enter" if number == 1 else "Alt+n")
        tab.wait_for_screen(f"Step {number} of 6", seconds=120)
    [process] = served.app_processes()
    info = process.memory_full_info()
    tab.page.close()
    return {"rss_mb": info.rss / 2**20, "uss_mb": info.uss / 2**20}


def imports_s() -> float:
    """The floor of app_s: a fresh interpreter importing the wizard app and the monitor screens, nothing drawn."""
    command = [sys.executable, "-c", "import tui.app, tui.monitor.screens"]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tabs", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder)) as served, chromium() as browser:
        shots = Path(folder) / "shots"
        time_tab(browser, served, shots)  # warm-up: the first start also fills the OS file cache
        timings = [time_tab(browser, served, shots) for _ in range(args.rounds)]
        memory = tab_memory(browser, served, shots, args.tabs)
        wait_until(lambda: not served.app_processes(), 60, "the tabs' apps to end")
        walked = walked_tab_memory(browser, served, shots)
    imports = [imports_s() for _ in range(args.rounds)]
    result = {
        "rounds": args.rounds,
        "page_s": statistics.median(t["page_s"] for t in timings),
        "first_paint_s": statistics.median(t["first_paint_s"] for t in timings),
        "app_s": statistics.median(t["app_s"] for t in timings),
        "imports_s": statistics.median(imports),
        "tabs": len(memory),
        "rss_mb_per_tab": statistics.median(m["rss_mb"] for m in memory),
        "uss_mb_per_tab": statistics.median(m["uss_mb"] for m in memory),
        "rss_mb_at_review": walked["rss_mb"],
        "uss_mb_at_review": walked["uss_mb"],
        "cpu": psutil.cpu_count(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
