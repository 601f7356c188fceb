"""`ft-tui preprocess CONFIG`: tokenize, mask, pack and cache the datasets, then report what was found."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from engine.cli.output import console, print_findings, quiet_libraries
from engine.cli.report import report_error
from engine.config import RunConfig, load_config
from engine.data.errors import DataError, NoRowsLeft
from engine.errors import EXIT_FAILED, EXIT_OK, FtTuiError
from engine.markup import escape_markup
from engine.presets import config_path
from engine.rules import Finding, check_config, detect_target, has_errors
from engine.wording import count as count_of

if TYPE_CHECKING:
    from engine.data.stats import DataFacts

BAR_WIDTH = 40


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "preprocess",
        help="tokenize, pack and cache the datasets; report rows, tokens, lengths and packing",
        description="Prepare the data the way training will, cache it under dataset_prepared_path, and report. "
        "Exit 0: ready; 1: data problems or preflight errors; 2: the config file cannot be read.",
    )
    parser.add_argument(
        "config", type=config_path, help=("the YAML config whose datasets to prepare (a file, or a preset name)")
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--debug", type=int, default=0, metavar="N", help="show N samples: trained vs masked tokens")
    parser.add_argument("--world-size", type=int, default=1, metavar="N", help="data-parallel devices to plan for")
    parser.set_defaults(handler=run)


PREPARED_WITH = frozenset({"seed", "trust_remote_code"})
"""Settings preparing the data uses that nothing on the way checks: the catalog's static findings about them are
shown before the tokenizer loads (its folder's code runs with trust_remote_code), and their errors stop
`preprocess` (the other static findings are `validate`'s: a config for a GPU may well be prepared on a laptop)."""


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.config)
        before = _findings_before_loading(cfg)
        if not args.json and before:
            print_findings(console(stderr=True), before)
        if has_errors(before):
            return _fail(args, DataError("the config cannot be prepared"), before) if args.json else EXIT_FAILED
        quiet_libraries()
        tokenizer = load_tokenizer(cfg, args.json)
        prepared = _prepare(cfg, tokenizer, args)
    except NoRowsLeft as nothing:  # the catalog says why, and what to change, as validate --data and the wizard do
        return _fail(args, nothing, preflight_findings(cfg, nothing.facts, args.world_size))
    except FtTuiError as error:  # an unreadable config (2), a config or data problem (1)
        return _fail(args, error)
    findings = preflight_findings(cfg, prepared.facts, args.world_size)
    if args.json:
        findings = before + findings
        print(json.dumps(_json_report(args, prepared, findings), indent=2))
    else:
        print_report(console(), prepared.facts, prepared.cache_dir, prepared.reused_cache, findings)
        if args.debug:
            print_examples(console(), prepared.train, tokenizer, args.debug)
    return EXIT_FAILED if has_errors(findings) else EXIT_OK


def _findings_before_loading(cfg: RunConfig) -> list[Finding]:
    """The catalog's static findings on the settings in PREPARED_WITH (the trust_remote_code warning among them)."""
    return [
        finding
        for finding in check_config(cfg, detect_target(), stages=("static",))
        if PREPARED_WITH & set(finding.fields)
    ]


def preflight_findings(cfg: RunConfig, facts: DataFacts, world_size: int) -> list[Finding]:
    """The catalog's data- and model-dependent rules, now that the data is known (static ones are `validate`'s)."""
    from engine.models.facts import find_model_facts

    model_facts = find_model_facts(cfg.base_model)
    return check_config(
        cfg, detect_target(), facts=model_facts, data=facts, stages=("preflight",), world_size=world_size
    )


def load_tokenizer(cfg: RunConfig, quiet: bool) -> Any:
    """The base model's tokenizer, found the way training finds the model (local, caches, then hub)."""
    from engine.models.errors import ModelResolutionError
    from engine.models.resolve import resolve_model

    say = (
        (lambda _m: None)
        if quiet
        else (lambda m: console(stderr=True).print(m, style="dim", highlight=False, markup=False))
    )
    try:
        folder = resolve_model(cfg.base_model, progress=say)
    except ModelResolutionError as error:
        raise DataError(str(error)) from error
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(folder, trust_remote_code=bool(cfg.trust_remote_code))
    except Exception as error:  # a broken tokenizer folder raises many kinds
        raise DataError(f"cannot load the tokenizer from {folder}: {error}") from error


def _prepare(cfg: RunConfig, tokenizer: Any, args: argparse.Namespace) -> Any:
    from engine.data.prepare import prepare_datasets

    err = console(stderr=True)
    say = (lambda _m: None) if args.json else (lambda m: err.print(m, style="dim", highlight=False, markup=False))
    return prepare_datasets(cfg, tokenizer, progress=say, world_size=args.world_size)


def _fail(args: argparse.Namespace, error: FtTuiError, findings: list[Finding] | None = None) -> int:
    """As text, the reporter's lines on stderr, then the findings that explain them; as JSON, one object on stdout."""
    if args.json:
        report: dict[str, Any] = {"config": str(args.config), "ok": False, "error": error.message}
        if findings:
            report["findings"] = [finding.to_json() for finding in findings]
        print(json.dumps(report))
        return error.exit_code
    code = report_error(error)
    if findings:
        print_findings(console(), findings)
    return code


def _json_report(args: argparse.Namespace, prepared: Any, findings: list[Finding]) -> dict[str, Any]:
    return {
        "config": str(args.config),
        "ok": not has_errors(findings),
        "cache_dir": str(prepared.cache_dir) if prepared.cache_dir else None,
        "reused_cache": prepared.reused_cache,
        "findings": [finding.to_json() for finding in findings],
        "facts": prepared.facts.to_dict(),
    }


def print_report(out: Console, facts: DataFacts, cache_dir: Path | None, reused: bool, findings: list[Finding]) -> None:
    """Rows, tokens, length histogram, packing and steps, eval feasibility: what training will see."""
    where = f"{'reused' if reused else 'saved'} {cache_dir}" if cache_dir else "not cached"
    out.print(f"[bold]Prepared data[/] ({escape_markup(where)})", highlight=False)
    out.print(_counts_table(facts))
    _print_drops(out, facts)
    _print_histogram(out, facts)
    _print_packing(out, facts)
    eval_refused = any(finding.rule_id == "packing.eval_split_too_small" for finding in findings)
    if facts.settings.eval_sample_packing and facts.eval_rows and not eval_refused:
        enough = f"{count_of(facts.eval_batches, 'packed eval batch', 'packed eval batches')} >= "
        enough += f"{facts.eval_batches_needed} needed"
        out.print(f"[green]eval packing ok[/]: {enough}", highlight=False)
    print_findings(out, findings)


def _counts_table(facts: DataFacts) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2))
    share = facts.trained_tokens / facts.train_tokens if facts.train_tokens else 0.0
    rows = [
        ("rows read", f"{facts.rows_read:,}"),
        ("samples kept", f"{facts.train_rows:,} train + {facts.eval_rows:,} eval"),
        ("rows dropped", f"{facts.rows_dropped_total:,}"),
        ("rows truncated", f"{facts.rows_truncated:,}"),
        ("train tokens", f"{facts.train_tokens:,} ({facts.trained_tokens:,} trained, {share:.0%})"),
        ("eval tokens", f"{facts.eval_tokens:,}"),
        ("longest / mean", f"{facts.max_length:,} / {facts.mean_length:,.0f} tokens{_longest_dropped(facts)}"),
    ]
    for label, value in rows:
        table.add_row(Text(label, style="dim"), value)
    return table


def _longest_dropped(facts: DataFacts) -> str:
    """The kept samples' longest is not the data's longest when over-long rows were dropped: say both."""
    if facts.longest_read <= facts.max_length:
        return ""
    limit = facts.settings.sequence_len
    return f" (kept; the longest row read has {facts.longest_read:,}, over sequence_len {limit:,})"


def _print_drops(out: Console, facts: DataFacts) -> None:
    for reason, count in sorted(facts.rows_dropped.items(), key=lambda item: -item[1]):
        out.print(f"  [yellow]dropped {count_of(count, 'row')}[/] {escape_markup(reason)}", highlight=False)
    for example in facts.dropped_examples:
        out.print(Text(f"    {example}", style="dim"))


def _print_histogram(out: Console, facts: DataFacts) -> None:
    """Bars of row counts per length bucket, up to sequence_len; over-long rows are counted below."""
    out.print(f"\n[bold]Lengths[/] (tokens, sequence_len {facts.settings.sequence_len:,})", highlight=False)
    peak = max((b.rows for b in facts.length_histogram), default=0) or 1
    for bucket in facts.length_histogram:
        bar = "█" * round(BAR_WIDTH * bucket.rows / peak)
        out.print(f"  {bucket.low:>6,}-{bucket.high - 1:<6,} {bar} {bucket.rows:,}", highlight=False)
    over = facts.rows_dropped.get("too_long", 0) + facts.rows_truncated
    if over:
        out.print(f"  [yellow]> sequence_len: {count_of(over, 'row')} (dropped or truncated)[/]", highlight=False)


def _print_packing(out: Console, facts: DataFacts) -> None:
    s = facts.settings
    mode = "packed" if s.sample_packing else "not packed (one row per sample)"
    out.print(f"\n[bold]Batches[/] ({mode})", highlight=False)
    out.print(
        f"  packing efficiency {facts.packing_efficiency:.2%} over {count_of(facts.train_bins, 'bin')} of "
        f"{s.sequence_len:,}",
        highlight=False,
    )
    out.print(
        f"  {count_of(facts.train_batches_per_epoch, 'micro-batch', 'micro-batches')} of {s.micro_batch_size} per "
        f"epoch per device, {count_of(facts.steps_per_epoch, 'optimizer step')} per epoch, {facts.total_steps:,} in "
        "total",
        highlight=False,
    )
    if facts.eval_rows:
        packed = f"{count_of(facts.eval_bins, 'bin')}, " if s.eval_sample_packing else ""
        kind = "packed batch" if s.eval_sample_packing else "batch"
        out.print(f"  eval: {packed}{count_of(facts.eval_batches, kind, kind + 'es')}", highlight=False)


def print_examples(out: Console, train: Any, tokenizer: Any, count: int) -> None:
    """The first samples with trained tokens in green and masked ones dimmed, decoded run by run."""
    from engine.data.spans import IGNORE_INDEX  # with numpy, only once there are samples: `--help` stays light

    for index in range(min(count, len(train))):
        sample = train[index]
        out.print(f"\n[bold]sample {index}[/] ({len(sample['input_ids'])} tokens)", highlight=False)
        out.print(render_sample(sample["input_ids"], sample["labels"], tokenizer))
    out.print(f"\n[green]trained[/]  [dim]masked ({IGNORE_INDEX})[/]", highlight=False)


def render_sample(ids: list[int], labels: list[int], tokenizer: Any) -> Text:
    """Text of a sample in two colours; runs are decoded together so multi-byte characters stay whole."""
    from engine.data.spans import IGNORE_INDEX

    text = Text()
    start = 0
    for end in range(1, len(ids) + 1):
        if end == len(ids) or (labels[end] != IGNORE_INDEX) != (labels[start] != IGNORE_INDEX):
            trained = labels[start] != IGNORE_INDEX
            text.append(tokenizer.decode(ids[start:end]), style="green" if trained else "dim")
            start = end
    return text


if __name__ == "__main__":  # pragma: no cover - for `python -m engine.cli.preprocess`
    parser = argparse.ArgumentParser(prog="ft-tui")
    register(parser.add_subparsers())
    parsed = parser.parse_args()
    sys.exit(parsed.handler(parsed))
