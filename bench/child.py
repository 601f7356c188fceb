"""Each measured run in its own process: the child prints one RESULT line, the parent runs it and reads that line.

A fresh process per run means no run inherits another's memory peak (ru_maxrss), threads or caches.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARK = "RESULT "


def print_result(result: dict[str, Any]) -> None:
    """The child's side: its numbers as the one line the parent looks for."""
    print(MARK + json.dumps(result), flush=True)


def run_child(script: str, arguments: list[str]) -> tuple[dict[str, Any] | None, str]:
    """Run `python script arguments` from the repo root; its RESULT (None when it failed or printed none) and stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, script, *arguments], capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        return None, done.stderr
    return json.loads(lines[-1].removeprefix(MARK)), done.stderr


def child_result(script: str, arguments: list[str], what: str) -> dict[str, Any]:
    """`run_child`'s result; a run that failed ends the benchmark, naming `what` and the end of its stderr."""
    result, stderr = run_child(script, arguments)
    if result is None:
        sys.exit(f"{what} failed:\n{stderr[-3000:]}")
    return result
