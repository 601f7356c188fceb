"""`ft-tui validate CONFIG`: every finding of the rule catalog, grouped by severity, with the why and the fix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.cli.output import console, print_findings
from engine.cli.report import report_error
from engine.cli.target_args import add_target_arguments, declared_from_args
from engine.config import ConfigError, RunConfig, key_order, load_config
from engine.config.paths import shown_paths
from engine.errors import EXIT_FAILED, EXIT_OK, FtTuiError, UsageError
from engine.markup import escape_markup
from engine.presets import config_path
from engine.rules import Finding, Target, check_config, detect_target, has_errors


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a config: errors, warnings and auto-set values, each explained",
        description="Check a config against the rule catalog. Exit 0: no errors; 1: errors; 2: unreadable file.",
    )
    parser.add_argument(
        "config", type=config_path, nargs="?", help="the YAML config to check (a file, or a preset name)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_target_arguments(parser)
    parser.add_argument(
        "--target",
        choices=("ft-tui", "axolotl"),
        default="ft-tui",
        help="the trainer to judge for: ft-tui's engine (default), or axolotl "
        "(`accelerate launch -m axolotl.cli.train CONFIG`), which runs features ft-tui's engine does not",
    )
    parser.add_argument(
        "--data",
        action="store_true",
        help="also tokenize the datasets with the model's tokenizer, as `ft-tui preprocess` and the wizard do, and "
        "judge the rules that need the tokenized rows (e.g. every row dropped for being over sequence_len)",
    )
    parser.add_argument("--keys", action="store_true", help="list every config key with its help and exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.keys:
        return _print_keys()
    if args.config is None:
        return report_error(
            UsageError("no config given", fix="give a file or a preset name: `ft-tui validate smollm2-135m-lora`")
        )
    try:
        target = declared_from_args(args) or detect_target()
    except UsageError as error:
        return report_error(error)
    try:
        config = load_config(args.config)
    except FtTuiError as error:
        return _report_unusable(args, error)
    facts = _model_facts(config)
    findings = check_config(config, target, facts=facts, engine=args.target)
    if args.data and not _data_unreadable(findings):
        data, problem = _data_facts(config, quiet=args.json)
        if problem is not None:
            return _report_unusable(args, problem)
        findings = check_config(config, target, facts=facts, data=data, engine=args.target)
    if args.json:
        _print_json(args.config, config, target, findings, args.target, data_read=args.data)
    else:
        _print_text(args.config, config, target, findings, args.target, data_read=args.data)
    return EXIT_FAILED if has_errors(findings) else EXIT_OK


def _model_facts(config: RunConfig) -> Any:
    """The base model's facts when its config.json is already on disk (never downloads), so the limits that
    depend on the model (LoRA rank, context length, memory) are judged as the wizard and the trainer judge them."""
    from engine.models import find_model_facts
    from engine.models.errors import ModelResolutionError

    try:
        return find_model_facts(config.base_model)
    except (ModelResolutionError, ValueError):  # an unreadable or unknown config.json: judged without facts
        return None


def _data_unreadable(findings: list[Finding]) -> bool:
    """A data path the cheap checks already refused: tokenizing it would only fail again, less clearly."""
    return any(f.rule_id in ("data.no_datasets", "data.dataset_unusable") for f in findings)


def _data_facts(config: RunConfig, *, quiet: bool) -> tuple[Any, FtTuiError | None]:
    """The tokenized data's facts (engine.data.prepare, with its cache), or the error that left none.

    Data whose every row is dropped still has facts (what was read, nothing kept): rule data.every_row_dropped
    explains that with the fix, as the wizard does."""
    from engine.cli.output import quiet_libraries
    from engine.cli.preprocess import load_tokenizer
    from engine.data.errors import NoRowsLeft
    from engine.data.prepare import prepare_datasets

    quiet_libraries()
    try:
        tokenizer = load_tokenizer(config, quiet)
        return prepare_datasets(config, tokenizer, world_size=1).facts, None
    except NoRowsLeft as nothing:
        return nothing.facts, None
    except FtTuiError as error:
        return None, error


def _report_unusable(args: argparse.Namespace, error: FtTuiError) -> int:
    """A file that cannot be read (exit 2), or unknown keys and wrong types (exit 1): the config cannot even be
    built, so no rules ran. As text, the reporter's lines on stderr; as JSON, one object on stdout."""
    if not args.json:
        return report_error(error)
    if isinstance(error, ConfigError):
        problems = [{"key": p.key, "line": p.line, "message": p.message, "fix": p.fix} for p in error.problems]
        print(json.dumps({"config": str(args.config), "ok": False, "problems": problems}, indent=2))
    else:
        print(json.dumps({"config": str(args.config), "ok": False, "unreadable": error.message}))
    return error.exit_code


DATA_NOT_READ = "data not read; add --data to judge the rules that need its tokenized rows"
"""Said with the verdict of a plain validate: the rows dropped or columns ignored that the wizard reports need the
data tokenized, so "ready" without it is about the config alone."""


def _print_json(
    path: Path, config: RunConfig, target: Target, findings: list[Finding], engine: str, *, data_read: bool
) -> None:
    report: dict[str, Any] = {
        "config": str(path),
        "ok": not has_errors(findings),
        "data_read": data_read,
        "target": target.describe(),
        "engine": engine,
        "paths": {key: str(where) for key, where in shown_paths(config)},
        "findings": [finding.to_json() for finding in findings],
    }
    print(json.dumps(report, indent=2))


def _print_text(
    path: Path, config: RunConfig, target: Target, findings: list[Finding], engine: str, *, data_read: bool
) -> None:
    out = console()
    under = " under axolotl" if engine == "axolotl" else ""
    out.print(f"[bold]{path}[/]: {config.base_model}, judged for {target.describe()}{under}", highlight=False)
    for key, where in shown_paths(config):
        out.print(f"  [dim]{key}:[/] {where}", highlight=False)
    print_findings(out, findings, caveat="" if data_read else DATA_NOT_READ)


def _print_keys() -> int:
    """ft-tui's keys with their help, then every other axolotl key with what ft-tui does with it."""
    from engine.config.axolotl_catalog import axolotl_catalog
    from engine.config.axolotl_support import classify

    out = console()
    for key in key_order():
        description = RunConfig.model_fields[key].description or ""
        out.print(f"[bold cyan]{key}[/]: {description}", highlight=False)
    catalog = axolotl_catalog()
    out.print(f"\n[bold]axolotl {catalog.version} keys ft-tui keeps but does not model[/]", highlight=False)
    for name, entry in catalog.top_level.items():
        group = classify(name)
        if name in RunConfig.model_fields or group is None:
            continue
        verdict = {"ignored": "ignored", "axolotl_only": "needs axolotl", "refused": "refused"}[group.verdict]
        out.print(f"[cyan]{name}[/] ({verdict}): {escape_markup(entry.description or group.reason)}", highlight=False)
    return EXIT_OK
