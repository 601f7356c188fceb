"""`ft-tui compare RUN_DIR RUN_DIR...`: two or more runs side by side, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.cli.report import report_error


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare two or more runs: the config keys that differ, losses, speed, memory, duration",
        description="Compare finished or running runs by their run folders (each run's output_dir).",
    )
    parser.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR", help="a run folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object (with the loss curves)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.runs.compare import CompareError, compare_runs

    try:
        comparison = compare_runs(args.run_dirs)
    except CompareError as error:
        return report_error(error)
    if args.json:
        print(json.dumps(comparison.to_json(), indent=1))
        return 0
    _print_table(comparison)
    return 0


def _print_table(comparison: Any) -> None:
    from rich.table import Table

    from engine.cli.output import console
    from engine.runs.compare import table_rows

    table = Table(show_edge=False, pad_edge=False)
    table.add_column("")
    for run in comparison.runs:
        table.add_column(run.name, overflow="fold")
    for label, values in table_rows(comparison):
        table.add_row(label, *values)
    out = console()
    out.print(table)
    for run in comparison.runs:
        if run.unreadable_lines:
            out.print(f"note: {run.run_dir}: {run.unreadable_lines} line(s) of its events could not be read (skipped)")
