"""The `ft-tui` command: the headless engine commands plus the terminal UI (wizard, plain init, monitor)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.cli import build_parser, run_parsed
from engine.cli.report import report_error
from engine.cli.target_args import add_target_arguments, declared_from_args
from engine.errors import UsageError
from engine.presets import config_path
from tui.web.command import add_serve_command


def build_full_parser() -> argparse.ArgumentParser:
    """The engine's parser with the terminal-UI commands added; with no command, the wizard opens."""
    parser = build_parser()
    parser.description = (
        "Fine-tune LLMs with LoRA. With no command, opens the guided setup; see the commands below for headless use."
    )
    parser.add_argument("--preset", help="open the wizard on this preset (see `ft-tui presets list`)")
    add_target_arguments(parser)
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    wizard = commands.add_parser("wizard", help="open the guided setup on a config file")
    wizard.add_argument("config", type=config_path, nargs="?", help="a YAML config to edit")
    add_target_arguments(wizard)
    wizard.set_defaults(handler=_run_wizard)
    init = commands.add_parser("init", help="write a config by answering a few questions")
    init.add_argument("--plain", action="store_true", help="plain prompts instead of the full-screen app")
    init.add_argument("--output", "-o", type=Path, help="where to write the YAML")
    init.set_defaults(handler=_run_init)
    monitor = commands.add_parser("monitor", help="watch, stop or resume a training run")
    monitor.add_argument("run_dir", type=Path, nargs="?", help="a run folder (default: choose from the runs list)")
    monitor.set_defaults(handler=_run_monitor)
    add_serve_command(commands)
    return parser


def _run_wizard(args: argparse.Namespace) -> int:
    from tui.app import run_wizard

    config = getattr(args, "config", None)
    if config is not None and not config.exists():
        return report_error(UsageError(f"{config}: no such file", fix="to start a new config, run `ft-tui` alone"))
    try:
        target = declared_from_args(args)
    except UsageError as error:
        return report_error(error)
    return run_wizard(getattr(args, "preset", None), config, target)


def _run_init(args: argparse.Namespace) -> int:
    if not args.plain:
        return _run_wizard(argparse.Namespace(preset=None, config=None))
    from tui.plain import run_plain

    return run_plain(args.output)


def _run_monitor(args: argparse.Namespace) -> int:
    from tui.monitor.app import run_monitor

    if args.run_dir is not None and not args.run_dir.is_dir():
        return report_error(UsageError(f"{args.run_dir}: not a run folder", fix="run `ft-tui monitor` to choose one"))
    return run_monitor(args.run_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_full_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    wizard_args, rest = _split_wizard_options(args_list)
    if not rest:
        return _run_wizard(wizard_args)
    return run_parsed(parser, args_list)


def _split_wizard_options(args_list: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """`--preset NAME`, `--device`, `--gpu-memory` alone open the wizard; anything else is a command line to parse
    (where a wrong value gets the parser's own message)."""
    probe = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    probe.add_argument("--preset")
    probe.add_argument("--device")
    probe.add_argument("--gpu-memory")
    known, rest = probe.parse_known_args(args_list)
    if rest or (known.device is None and known.gpu_memory is None):
        return argparse.Namespace(preset=known.preset, config=None), rest
    return _full_parse(args_list), []


def _full_parse(args_list: list[str]) -> argparse.Namespace:
    """The wizard's options checked by the real parser (choices, GiB), so `--device gpu` is refused clearly."""
    parser = argparse.ArgumentParser(prog="ft-tui", allow_abbrev=False)
    parser.add_argument("--preset")
    add_target_arguments(parser)
    args = parser.parse_args(args_list)
    args.config = None
    return args


def entry() -> None:
    """The `ft-tui` console script: `main`, then the exit code set as the entry points set it."""
    from engine.cli import exit_process

    exit_process(main())


if __name__ == "__main__":
    entry()
