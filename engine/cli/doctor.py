"""`ft-tui doctor [--json]`: Python, torch build, GPUs, library versions, what works here and the fix for the rest."""

from __future__ import annotations

import argparse
import json

from engine.cli.output import console
from engine.errors import EXIT_FAILED, EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check this machine: torch build, GPUs, libraries, what works and how to fix the rest",
        description=(
            "Report Python, the torch build, GPUs and the installed training libraries; which attention backends, "
            "precisions, quantisation modes and distributed engines work here; and the pip command that fixes "
            "each one that does not. Exit 0, or 1 when installed packages clash."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.doctor import diagnose_here

    diagnosis = diagnose_here()
    if args.json:
        print(json.dumps(diagnosis.to_dict(), indent=2))
    else:
        _print(diagnosis)
    return EXIT_FAILED if diagnosis.problems else EXIT_OK


def _print(diagnosis: object) -> None:
    from rich.table import Table

    from engine.doctor import Diagnosis

    assert isinstance(diagnosis, Diagnosis)
    env = diagnosis.environment
    out = console()
    build = f"CUDA {env.torch_cuda}" if env.torch_cuda else "CPU"
    out.print(f"[bold]Python[/] {env.python} on {env.platform}", highlight=False)
    out.print(f"[bold]torch[/] {env.torch or 'not installed'} ({build} build)", highlight=False)
    if env.gpus:
        for gpu in env.gpus:
            cap = f"{gpu.capability[0]}.{gpu.capability[1]}"
            out.print(f"[bold]GPU {gpu.index}[/] {gpu.name}, {gpu.memory_gb:.0f} GB, compute capability {cap}")
    else:
        out.print(f"[bold]GPUs[/] none found; CPU with {env.cpu_cores} cores", highlight=False)
    versions = ", ".join(f"{name} {version or '-'}" for name, version in env.packages.items() if name != "torch")
    out.print(f"[bold]libraries[/] {versions}", highlight=False)
    table = Table(show_edge=False, pad_edge=False)
    for column in ("", "what", "works", "why / fix"):
        table.add_column(column)
    for item in diagnosis.capabilities:
        mark = "[green]yes[/]" if item.works else "[red]no[/]"
        why = item.detail + (f"\n[dim]fix:[/] {item.fix}" if item.fix else "")
        table.add_row(item.group, item.name, mark, why)
    out.print(table)
    for problem in diagnosis.problems:
        out.print(f"[bold red]problem[/]: {problem.message}", highlight=False)
        out.print(f"    [dim]fix:[/] {problem.fix}", highlight=False)
    if not diagnosis.problems:
        out.print("[bold green]no clashes between installed packages[/]", highlight=False)
