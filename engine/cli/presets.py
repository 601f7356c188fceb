"""`ft-tui presets list|show NAME|save NAME --from CONFIG`: built-in and user presets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.syntax import Syntax
from rich.table import Table

from engine.cli.output import console
from engine.cli.report import report_error
from engine.config import load_config
from engine.errors import FtTuiError
from engine.presets import find_preset, list_presets, save_user_preset


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("presets", help="list, show or save presets", description=__doc__)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list built-in and user presets")
    show = actions.add_parser("show", help="print a preset's YAML")
    show.add_argument("name")
    save = actions.add_parser("save", help="save a config as a user preset")
    save.add_argument("name")
    save.add_argument("--from", dest="source", type=Path, required=True, help="the config to save")
    save.add_argument("--force", action="store_true", help="overwrite a user preset of the same name")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "list":
            return _list()
        if args.action == "show":
            return _show(args.name)
        return _save(args.name, args.source, args.force)
    except FtTuiError as error:  # an unknown or taken preset name (1), a config that cannot be read (2) or used (1)
        return report_error(error)


def _list() -> int:
    table = Table("name", "kind", "description", box=None, pad_edge=False)
    for info in list_presets():
        table.add_row(info.name, "built-in" if info.builtin else "user", info.description)
    console().print(table)
    return 0


def _show(name: str) -> int:
    text = find_preset(name).path.read_text(encoding="utf-8")
    out = console()
    if out.is_terminal:
        out.print(Syntax(text, "yaml"))
    else:
        sys.stdout.write(text)
    return 0


def _save(name: str, source: Path, force: bool) -> int:
    path = save_user_preset(name, load_config(source), force=force)
    print(f"saved preset {name!r} to {path}")
    return 0
