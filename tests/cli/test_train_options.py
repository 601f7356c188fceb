"""`ft-tui train`'s own options are declared once: the usage line and the options written after the config (which
argparse leaves among the overrides) both come from that one declaration."""

from __future__ import annotations

import argparse

from engine.cli import build_parser
from engine.cli.train import _own_options


def train_parser() -> argparse.ArgumentParser:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["train"]


def test_the_usage_lists_every_option_of_the_parser() -> None:
    parser = train_parser()
    flags = [flag for action in parser._actions for flag in action.option_strings if flag not in ("-h", "--help")]
    assert parser.usage is not None and parser.usage.startswith("ft-tui train CONFIG [--resume]")
    assert parser.usage.endswith(" [--KEY VALUE ...]") and "\n" not in parser.usage
    assert flags and all(f"[{flag}" in parser.usage for flag in flags)


def test_options_after_the_config_are_picked_out_of_the_overrides() -> None:
    args = train_parser().parse_args(["c.yml", "--lora-r", "8", "--nproc", "2", "--resume", "--device", "cpu"])
    options, leftover = _own_options(args)
    assert leftover == ["--lora-r", "8"]
    assert vars(options) == {
        "config": args.config,
        "resume": True,
        "force": False,
        "detach": False,
        "nproc": 2,
        "events": False,
        "device": "cpu",
    }


def test_an_option_before_the_config_is_kept_and_one_after_it_wins() -> None:
    args = train_parser().parse_args(["--events", "--device", "cuda", "c.yml", "--device", "cpu"])
    options, leftover = _own_options(args)
    assert leftover == [] and options.events and options.device == "cpu"
