"""`ft-tui schema`: the JSON Schema of the config, for editors and other tools."""

from __future__ import annotations

import argparse
import json

from engine.config.schema import config_json_schema, shipped_schema_path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the config (keys, types, defaults, allowed values, help)",
        description="Print the JSON Schema of a config file. Files ft-tui writes already point editors at the "
        f"copy installed with it: {shipped_schema_path()}",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(config_json_schema(), indent=1))
    return 0
