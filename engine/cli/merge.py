"""`ft-tui merge CONFIG`: fold the trained LoRA adapter into the base and save a plain model in output_dir/merged."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.output import console, quiet_libraries, report_config_error
from engine.config import ConfigError, ConfigFileError
from engine.presets import config_path

EXIT_OK, EXIT_FAILED = 0, 1
DTYPES = ("float32", "bfloat16", "float16")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "merge",
        help="merge the trained adapter into the base model (output_dir/merged)",
        description="Load the base model and the adapter that `ft-tui train CONFIG` saved in output_dir, merge "
        "them, and write a standalone safetensors model with its tokenizer and chat template to output_dir/merged. "
        "Exit 0: merged; 1: nothing to merge or the model cannot be loaded; 2: the config cannot be read.",
    )
    parser.add_argument(
        "config", type=config_path, help=("the YAML config the adapter was trained with (a file, or a preset name)")
    )
    parser.add_argument(
        "--output-dir", type=Path, metavar="DIR", help="the run folder, when training used `--output-dir`"
    )
    parser.add_argument(
        "--adapter", type=Path, metavar="DIR", help="merge this adapter folder instead (e.g. a checkpoint-N)"
    )
    parser.add_argument("--dtype", choices=DTYPES, help="save the weights in this dtype (default: the base's)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.infer import InferError, LoadRequest, merge_adapter
    from engine.infer.loading import load_run_config

    err = console(stderr=True)
    try:
        config = load_run_config(args.config, args.output_dir)
    except (ConfigFileError, ConfigError) as error:
        return report_config_error(error)
    quiet_libraries()
    request = LoadRequest(config, config_path=args.config, adapter_dir=args.adapter, dtype=args.dtype)
    try:
        folder = merge_adapter(request, progress=lambda line: err.print(line, style="dim", highlight=False))
    except InferError as error:
        err.print(f"[bold red]error[/]: {error}", highlight=False)
        return EXIT_FAILED
    console().print(f"[green]merged[/] {folder}", highlight=False)
    return EXIT_OK
