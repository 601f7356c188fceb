"""`ft-tui merge CONFIG`: fold the trained LoRA adapter into the base and save a plain model in output_dir/merged."""

from __future__ import annotations

import argparse

from engine.cli.output import console
from engine.cli.report import report_error
from engine.cli.trained_run import DTYPES, add_trained_run_arguments, read_run_config
from engine.errors import EXIT_OK, FtTuiError
from engine.markup import escape_markup


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "merge",
        help="merge the trained adapter into the base model (output_dir/merged)",
        description="Load the base model and the adapter that `ft-tui train CONFIG` saved in output_dir, merge "
        "them, and write a standalone safetensors model with its tokenizer and chat template to output_dir/merged. "
        "Exit 0: merged; 1: nothing to merge or the model cannot be loaded; 2: the config cannot be read.",
    )
    add_trained_run_arguments(parser, adapter_help="merge this adapter folder instead (e.g. a checkpoint-N)")
    parser.add_argument("--dtype", choices=DTYPES, help="save the weights in this dtype (default: the base's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.infer import LoadRequest, merge_adapter

    err = console(stderr=True)
    try:
        config = read_run_config(args)
        request = LoadRequest(config, config_path=args.config, adapter_dir=args.adapter, dtype=args.dtype)
        folder = merge_adapter(
            request, progress=lambda line: err.print(line, style="dim", highlight=False, markup=False)
        )
    except FtTuiError as error:  # an unreadable config (2), no adapter or a model that cannot be loaded (1)
        return report_error(error)
    console().print(f"[green]merged[/] {escape_markup(folder)}", highlight=False)
    return EXIT_OK
