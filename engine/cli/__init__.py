"""The headless `ft-tui` subcommands; each module registers its own parser and handler."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from engine.errors import EXIT_INTERRUPTED

COMMANDS = ("validate", "presets", "preprocess", "train", "merge", "export", "chat", "compare", "schema", "doctor")
"""Modules of this package, in the order `ft-tui --help` lists them. Each defines `register(subparsers)`."""


def register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name in COMMANDS:
        importlib.import_module(f"engine.cli.{name}").register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    """The headless parser alone (the `ft-tui` script adds the terminal UI commands to it)."""
    parser = argparse.ArgumentParser(prog="ft-tui", description="Fine-tune LLMs with LoRA from a YAML config.")
    parser.add_argument("--version", action="version", version=f"ft-tui {installed_version()}")
    register_commands(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def installed_version() -> str:
    """The installed package's version (pyproject.toml), or `unknown` when run from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ft-tui")
    except PackageNotFoundError:
        return "unknown"


def run_parsed(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return run_handler(handler, args)


def run_handler(handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run a command; a Ctrl-C before the command handles stops itself (while libraries load) exits 130 quietly,
    and a closed stdout pipe (`ft-tui validate --json | head -1`) ends it quietly too."""
    from engine.cli.output import exit_quietly_on_closed_pipe

    def command() -> int:
        try:
            return int(handler(args) or 0)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED

    return exit_quietly_on_closed_pipe(command)


def main(argv: Sequence[str] | None = None) -> int:
    return run_parsed(build_parser(), argv)


def exit_process(code: int) -> NoReturn:
    """End the process with `code`, for the entry points (never for in-process callers such as tests).

    After a Ctrl-C that was handled (a stop, exit 130), CPython may still kill itself with SIGINT at exit (status -2
    to the shell) when the interrupt passed through library code it ran via PyRun_String while loading; the flag it
    sets then is not reachable from Python. So a stop's 130 is set directly, once what was printed is flushed."""
    if code != EXIT_INTERRUPTED:
        sys.exit(code)
    _remove_library_temp_folders()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe has nothing left to flush
            stream.flush()
    os._exit(code)


def _remove_library_temp_folders() -> None:
    """What libraries remove at interpreter exit, which `os._exit` skips: datasets' `hf_datasets-*` folder in the
    system temp folder, holding the tokenizer workers' shards (10 MB for 20,000 rows, one folder per stopped run)."""
    fingerprint = sys.modules.get("datasets.fingerprint")
    temp = getattr(fingerprint, "_TEMP_DIR_FOR_TEMP_CACHE_FILES", None)
    if temp is not None:
        with contextlib.suppress(Exception):  # exiting anyway: a folder that cannot go is no reason to fail
            temp.cleanup()
