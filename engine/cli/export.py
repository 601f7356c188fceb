"""`ft-tui export CONFIG|RUN_DIR --to gguf`: the trained model as one GGUF file for llama.cpp, Ollama, LM Studio."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cli.export_lines import Done, ExportLine, Failed, Step, Tensors, to_json
from engine.cli.output import console
from engine.cli.report import report_error
from engine.cli.trained_run import add_trained_run_arguments, read_run_config
from engine.errors import EXIT_INTERRUPTED, EXIT_OK, FtTuiError, UsageError
from engine.markup import escape_markup

if TYPE_CHECKING:
    from engine.export.model import ExportRequest

FORMATS = ("gguf", "gguf-lora")
"""engine/export/choices.py FORMATS' names, here so that `--help` needs no import of the exporter."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the trained model as GGUF (llama.cpp, Ollama, LM Studio)",
        description="Merge the trained adapter into the base (as `ft-tui merge` does) and write one self-contained "
        "GGUF file: weights under llama.cpp's names, hyper-parameters, tokenizer and chat template. No compiler and "
        "no network needed. Exit 0: written; 1: the model cannot be exported or written; 2: a wrong argument.",
    )
    add_trained_run_arguments(parser, adapter_help="merge this adapter folder instead (e.g. a checkpoint-N)")
    parser.add_argument(
        "--to",
        choices=FORMATS,
        default="gguf",
        help="gguf: the merged model (default); gguf-lora: the adapter alone, for llama.cpp --lora or Ollama ADAPTER",
    )
    parser.add_argument(
        "--quant",
        metavar="QUANT",
        help="f16, bf16, q8_0, q4_0, q4_1, q5_0 or q5_1 (default: q8_0; gguf-lora: f16, bf16 or q8_0, default f16)",
    )
    parser.add_argument("--base-only", action="store_true", help="export the base model alone, no adapter merged")
    parser.add_argument(
        "--ollama", action="store_true", help="also write a Modelfile beside the .gguf and print `ollama create`"
    )
    parser.add_argument("--out", type=Path, metavar="PATH", help="the file to write (default: in output_dir)")
    # For the monitor's Export: progress and outcome as JSON lines on stdout (engine/cli/export_lines.py).
    parser.add_argument("--progress-lines", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.export.quants import parse_quant

    err = console(stderr=True)
    lines = bool(getattr(args, "progress_lines", False))
    given = str(args.config)

    def say(line: str) -> None:
        if lines:
            _emit(Step(line))
        else:
            err.print(line, style="dim", highlight=False, markup=False)

    target: Path | None = None
    try:
        from engine.export.choices import default_quant, default_target

        quant = parse_quant(args.quant or default_quant(args.to))
        _check_arguments(args)
        _read_run_dir(args)
        config = read_run_config(args)
        from engine.export.model import ExportRequest, export_gguf, export_lora

        request = ExportRequest(config, args.config, quant.name, args.adapter, args.base_only, args.out)
        lora = args.to == "gguf-lora"
        target = args.out or default_target(request, args.to, quant.name)
        tensors = _tensor_lines() if lines else _tensor_progress(say)
        path = (export_lora if lora else export_gguf)(request, quant, say, tensors)
    except FtTuiError as error:
        return _failed(error, lines)
    except KeyboardInterrupt:
        return _interrupted(target)
    except OSError as error:
        return _failed(_write_error(error, target), lines)
    if lines:
        return _finish_with_lines(path, request, args, given)
    console().print(f"[green]exported[/] {escape_markup(path)}", highlight=False)
    if args.ollama:
        _write_modelfile(path, config.default_system_message)
    return EXIT_OK


def _emit(line: ExportLine) -> None:
    print(to_json(line), flush=True)


def _tensor_lines() -> Callable[[int, int], None]:
    """Every tensor: a front end's progress bar moves smoothly, and a line is cheap next to quantizing a tensor."""
    return lambda done, total: _emit(Tensors(done, total))


def _failed(error: FtTuiError, lines: bool) -> int:
    if lines:
        _emit(Failed(error.message, error.fix))
    return report_error(error)


def _finish_with_lines(path: Path, request: ExportRequest, args: argparse.Namespace, given: str) -> int:
    """The Done line: the files written and the command to run next (Ollama's when a Modelfile was written)."""
    from dataclasses import replace

    from engine.export.choices import DEFAULT_FORMAT, default_quant, default_target, run_command

    if args.ollama:
        from engine.export.ollama import modelfile_for

        try:
            modelfile = modelfile_for(path, request.config.default_system_message)
        except OSError as error:
            return _failed(_write_error(error, path.parent / "Modelfile"), True)
        note = "" if modelfile.family else "no TEMPLATE line: Ollama reads the chat template stored in the GGUF"
        _emit(Done((str(path), str(modelfile.path)), modelfile.create_command, note))
        return EXIT_OK
    if args.to == "gguf-lora":
        base = replace(request, base_only=True, adapter_dir=None, out=None)
        base_gguf = default_target(base, DEFAULT_FORMAT, default_quant(DEFAULT_FORMAT))
        note = f"the base model's GGUF comes first: `ft-tui export {given} --base-only` writes {base_gguf}"
        _emit(Done((str(path),), run_command(path, lora=True, base_gguf=base_gguf), note))
        return EXIT_OK
    _emit(Done((str(path),), run_command(path, lora=False)))
    return EXIT_OK


def _write_modelfile(gguf: Path, system: str | None) -> None:
    from engine.export.ollama import modelfile_for

    modelfile = modelfile_for(gguf, system)
    out = console()
    out.print(f"[green]wrote[/] {escape_markup(modelfile.path)}", highlight=False)
    if modelfile.family is None:
        out.print("  no TEMPLATE line: Ollama reads the chat template stored in the GGUF", highlight=False)
    out.print(f"next: {escape_markup(modelfile.create_command)}", highlight=False, soft_wrap=True)


def _check_arguments(args: argparse.Namespace) -> None:
    if args.ollama and args.to != "gguf":
        raise UsageError("--ollama needs the whole model", fix="use --to gguf with --ollama")
    if args.base_only and args.adapter is not None:
        raise UsageError("--base-only and --adapter contradict each other", fix="give one of them")


def _read_run_dir(args: argparse.Namespace) -> None:
    """A run folder in place of CONFIG: its own copy of the config, and the folder itself as output_dir."""
    from engine.runs.paths import config_copy

    if not Path(args.config).is_dir():
        return
    copy = config_copy(Path(args.config))
    if copy is None:
        raise UsageError(f"{args.config}: a folder without a config copy", fix="give the run's YAML config instead")
    args.output_dir = args.output_dir or Path(args.config)
    args.config = copy


def _tensor_progress(report: Callable[[str], None]) -> Callable[[int, int], None]:
    """One line at every tenth of the tensors, so a log stays short."""
    last = [-1]

    def progress(done: int, total: int) -> None:
        tenth = 10 * done // total
        if tenth != last[0]:
            last[0] = tenth
            report(f"tensors: {done}/{total}")

    return progress


def _interrupted(target: Path | None) -> int:
    from engine.cli.output import console as make_console

    where = f" no file was written at {escape_markup(target)}" if target else ""
    make_console(stderr=True).print(f"[bold red]error[/]: export interrupted;{where}", highlight=False)
    make_console(stderr=True).print("  [dim]fix:[/] run the same command again", highlight=False)
    return EXIT_INTERRUPTED


def _write_error(error: OSError, target: Path | None) -> FtTuiError:
    import errno

    from engine.export.errors import ExportError

    where = target.parent if target else "the output folder"
    if error.errno == errno.ENOSPC:
        return ExportError(f"no space left on the disk of {where}; nothing was written", fix="free space or use --out")
    return ExportError(f"could not write {target}: {error.strerror or error}", fix="choose another --out")
