"""`ft-tui export CONFIG|RUN_DIR --to gguf`: the trained model as one GGUF file for llama.cpp, Ollama, LM Studio."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from engine.cli.output import console
from engine.cli.report import report_error
from engine.cli.trained_run import add_trained_run_arguments, read_run_config
from engine.errors import EXIT_INTERRUPTED, EXIT_OK, FtTuiError, UsageError

FORMATS = ("gguf", "gguf-lora")


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
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from engine.export.quants import parse_quant

    err = console(stderr=True)
    say = lambda line: err.print(line, style="dim", highlight=False)  # noqa: E731
    target: Path | None = None
    try:
        quant = parse_quant(args.quant or ("f16" if args.to == "gguf-lora" else "q8_0"))
        _check_arguments(args)
        _read_run_dir(args)
        config = read_run_config(args)
        from engine.export.model import ExportRequest, default_lora_output, default_output, export_gguf, export_lora

        request = ExportRequest(config, args.config, quant.name, args.adapter, args.base_only, args.out)
        lora = args.to == "gguf-lora"
        target = args.out or (default_lora_output if lora else default_output)(request, quant)
        path = (export_lora if lora else export_gguf)(request, quant, say, _tensor_progress(say))
    except FtTuiError as error:
        return report_error(error)
    except KeyboardInterrupt:
        return _interrupted(target)
    except OSError as error:
        return report_error(_write_error(error, target))
    console().print(f"[green]exported[/] {path}", highlight=False)
    if args.ollama:
        _write_modelfile(path, config.default_system_message)
    return EXIT_OK


def _write_modelfile(gguf: Path, system: str | None) -> None:
    from engine.export.ollama import modelfile_for

    modelfile = modelfile_for(gguf, system)
    out = console()
    out.print(f"[green]wrote[/] {modelfile.path}", highlight=False)
    if modelfile.family is None:
        out.print("  no TEMPLATE line: Ollama reads the chat template stored in the GGUF", highlight=False)
    out.print(f"next: {modelfile.create_command}", highlight=False, soft_wrap=True)


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

    where = f" no file was written at {target}" if target else ""
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
