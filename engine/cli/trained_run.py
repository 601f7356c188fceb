"""What `chat` and `merge` share: the arguments that name a trained run, and reading its config."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli.output import quiet_libraries
from engine.presets import config_path

if TYPE_CHECKING:
    from engine.config import RunConfig

DTYPES = ("float32", "bfloat16", "float16")
"""The weight dtypes `--dtype` accepts."""


def add_trained_run_arguments(parser: argparse.ArgumentParser, *, adapter_help: str) -> None:
    """CONFIG, `--output-dir` and `--adapter`: which trained run, and which of its adapters, to load."""
    parser.add_argument(
        "config", type=config_path, help="the YAML config the adapter was trained with (a file, or a preset name)"
    )
    parser.add_argument(
        "--output-dir", type=Path, metavar="DIR", help="the run folder, when training used `--output-dir`"
    )
    parser.add_argument("--adapter", type=Path, metavar="DIR", help=adapter_help)


def read_run_config(args: argparse.Namespace) -> RunConfig:
    """The config the run trained with (raises ConfigFileError/ConfigError); then the model libraries are quietened,
    since loading the model comes next."""
    from engine.infer.loading import load_run_config

    config = load_run_config(args.config, args.output_dir)
    quiet_libraries()
    return config
