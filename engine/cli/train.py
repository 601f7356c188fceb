"""`ft-tui train CONFIG [--resume] [--events] [--device cpu|cuda] [--KEY VALUE ...]`: a headless training run."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from engine.cli.output import console, print_findings, quiet_libraries
from engine.cli.report import report_error
from engine.config import RunConfig, apply_overrides, load_config, parse_override_args
from engine.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, FtTuiError
from engine.events import (
    CheckpointEvent,
    EvalEvent,
    Event,
    LogEvent,
    PhaseEvent,
    StartedEvent,
    StepEvent,
    WarningEvent,
)
from engine.events.text import phase_name, phase_progress, phase_text, warning_text
from engine.markup import escape_markup
from engine.presets import config_path
from engine.runs.paths import CONFIG_FILE
from engine.world import started_by_a_launcher

if TYPE_CHECKING:
    from rich.console import Console

    from engine.train import TrainResult

"""130 is the shell's code for a run ended by Ctrl-C; a stopped run left a checkpoint to resume from."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a config headless, with a progress bar and an eval table",
        description=(
            "Train a config on this machine. Any config key can be overridden after the config "
            "(`--learning-rate 1e-4 --micro-batch-size 2`); overrides are validated like the file and recorded "
            f"in output_dir/{CONFIG_FILE}. Ctrl-C saves a checkpoint; `--resume` continues from it."
        ),
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """CONFIG, the command's own options, then the overrides; the usage line is made from the options."""
    parser.usage = _usage(parser.prog)
    parser.add_argument("config", type=config_path, help="the YAML config to train (a file, or a preset name)")
    _add_own_options(parser)
    # Everything after the config that is not one of the own options is a config override (`--KEY VALUE`).
    parser.add_argument("overrides", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def _add_own_options(parser: argparse.ArgumentParser) -> None:
    """The command's own options, declared only here: on its parser, and on the one that picks them out of the
    overrides when they are written after the config (`_own_options`)."""
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in output_dir")
    parser.add_argument(
        "--force",
        action="store_true",
        help="start over in an output_dir that holds an earlier run, completed, stopped or failed (it is moved "
        "aside to <output_dir>.replaced-<time>, never deleted)",
    )
    parser.add_argument(
        "--detach",
        action="store_true",
        help="run in the background, surviving this terminal; watch with ft-tui monitor",
    )
    parser.add_argument(
        "--nproc",
        type=_process_count,
        metavar="N",
        help=(
            "train with N data-parallel processes on this machine (one per GPU), started through torchrun "
            "(default: the config's launch plan, CONFIG.launch.yml, else 1)"
        ),
    )
    parser.add_argument("--events", action="store_true", help="also print the JSON-lines events on stdout")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="train on this device (default: the best found)")


def _usage(prog: str) -> str:
    """`PROG CONFIG [--resume] ... [--KEY VALUE ...]`: argparse's own usage of the options, on one line."""
    options = argparse.ArgumentParser(prog=prog, add_help=False)
    _add_own_options(options)
    listed = " ".join(options.format_usage().split()[1:]).removeprefix(prog).strip()
    return f"{prog} CONFIG {listed} [--KEY VALUE ...]"


def _process_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1, 2, 4, ...)")
    return value


def run(args: argparse.Namespace) -> int:
    options, leftover = _own_options(args)
    try:
        if options.detach:
            return _detach(options, leftover)
        overrides = parse_override_args(leftover)
        config = apply_overrides(load_config(options.config), overrides)
        nproc = options.nproc or _planned_processes(options.config)
    except FtTuiError as error:
        return report_error(error)
    if nproc > 1 and not started_by_a_launcher():
        options.nproc = nproc
        return _train_processes(config, options, leftover)
    return _train(config, options, overrides)


def _planned_processes(config_path: Path) -> int:
    """The process count of the launch plan beside the config (1 without one); a bad plan raises PlanError."""
    from engine.runs.plan import local_processes

    return local_processes(config_path)


def _train_processes(config: RunConfig, options: argparse.Namespace, leftover: list[str]) -> int:
    """`--nproc N` in the foreground: torchrun starts N ranks of this same command and this process waits.

    The launcher gets its own session, so Ctrl-C (or SIGTERM, or a closed terminal) reaches only this process,
    which passes it to the ranks themselves: they agree on a step and save one checkpoint (torchrun would kill
    ranks still saving after 30 seconds). A second Ctrl-C reaches them as Ctrl-C: stop now, without saving.
    """
    import signal

    from engine.runs.launch import engine_command
    from engine.runs.process import send_stop, stop_workers

    flags = [
        *(["--resume"] if options.resume else []),
        *(["--force"] if options.force else []),
        *(["--events"] if options.events else []),
        *([f"--device={options.device}"] if options.device else []),
    ]
    command = [*engine_command(options.nproc), str(options.config), *flags, *leftover]
    process = subprocess.Popen(command, start_new_session=True)
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        sig = signal.SIGINT if signum == signal.SIGINT and len(received) > 1 else signal.SIGTERM
        if not stop_workers(process.pid, sig):
            send_stop(process.pid, sig)

    watched = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, forward) for sig in watched}
    try:
        code = process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code if code == EXIT_OK else _exit_code_of_last_run(Path(config.output_dir))


def _exit_code_of_last_run(output_dir: Path) -> int:
    """torchrun exits 1 when a rank exits non-zero; a stop (rank 0 wrote `finished: stopped`) still reads 130."""
    from engine.events import FinishedEvent, read_events
    from engine.runs.paths import EVENTS_FILE

    path = output_dir / EVENTS_FILE
    events = read_events(path) if path.is_file() else []
    last = events[-1] if events else None
    if isinstance(last, FinishedEvent) and last.status == "stopped":
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def _detach(options: argparse.Namespace, leftover: list[str]) -> int:
    """Start the run as its own process (engine.runs), so closing this terminal never stops it; a config or
    launch problem raises its FtTuiError."""
    from engine.runs.launch import LaunchError, start_detached

    if options.device or options.events:
        raise LaunchError("--device and --events do not combine with --detach (set the device in the config)")
    run_dir = start_detached(options.config, leftover, resume=options.resume, nproc=options.nproc, force=options.force)
    print(f"training in the background in {run_dir}")
    print(f"watch it, stop it or resume it with: ft-tui monitor {run_dir}")
    return EXIT_OK


def _own_options(args: argparse.Namespace) -> tuple[argparse.Namespace, list[str]]:
    """Options written after the config land in the remainder with the overrides; pick ours out of it. A value
    given after the config wins over one given before it (a flag is set when it is set in either place)."""
    parser = argparse.ArgumentParser(add_help=False)
    _add_own_options(parser)
    own, leftover = parser.parse_known_args(args.overrides)
    options = argparse.Namespace(config=args.config)
    for name, value in vars(own).items():
        setattr(options, name, value if value not in (None, False) else getattr(args, name))
    return options, leftover


def _train(config: RunConfig, options: argparse.Namespace, overrides: dict[str, object]) -> int:
    from engine.train import TrainError, train
    from engine.train.distributed import is_main_process

    quiet_libraries(warnings_as_events=True)
    view = TrainView(console(stderr=options.events), config)
    try:
        with view:
            result = train(
                config,
                resume=options.resume,
                events_stdout=options.events,
                progress=view.on_event,
                device=options.device,
                overrides=overrides,
                force=options.force,
            )
    except TrainError as error:
        if error.findings:
            print_findings(console(stderr=True), error.findings)
            return error.exit_code
        return report_error(error)
    if is_main_process():
        view.summary(result)
    if result.status == "stopped":
        return EXIT_INTERRUPTED
    return EXIT_OK if result.status == "completed" else EXIT_FAILED


class TrainView:
    """A rich progress bar over the steps, log lines above it, and a table of the evaluations.

    It is just another reader of the run's events, like the TUI monitor; rich is imported only when a run starts.
    """

    def __init__(self, out: Console, config: RunConfig) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.out = out
        self.config = config
        self.evals: list[EvalEvent] = []
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}  {task.fields[speed]} tok/s"),
            TimeRemainingColumn(),
            console=out,
            transient=False,
        )
        self.task = self.progress.add_task("starting", total=None, loss="-", speed="-")

    def __enter__(self) -> TrainView:
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def on_event(self, event: Event) -> None:
        if isinstance(event, PhaseEvent):
            self._phase(event)
        elif isinstance(event, StartedEvent):
            # The bar appears once there are steps to count; before that, phases are plain lines.
            self.progress.start()
            self.progress.update(self.task, total=event.total_steps, completed=0, description="training")
            self.out.print(
                f"training {event.params_trainable:,} of {event.params_total:,} parameters on {event.device} "
                f"({event.dtype}, {event.attn_implementation}), {event.total_steps} steps",
                highlight=False,
            )
        elif isinstance(event, StepEvent):
            speed = f"{event.tokens_per_second:,.0f}"
            self.progress.update(self.task, completed=event.step, loss=f"{event.loss:.4f}", speed=speed)
        elif isinstance(event, EvalEvent):
            self.evals.append(event)
            self.out.print(
                f"eval @ step {event.step}: loss {event.eval_loss:.4f}, perplexity {event.perplexity:.2f}",
                highlight=False,
            )
        else:
            self._print_line(event)

    def _phase(self, event: PhaseEvent) -> None:
        if self.progress.live.is_started:
            self.progress.update(self.task, description=phase_progress(event.phase, event.current, event.total))
        elif event.phase in ("starting", "loading_model", "preparing_data"):
            line = Text(phase_text(event))  # a Text: the detail (a path, a model id) is never markup
            line.stylize("bold", 0, len(phase_name(event)))
            self.out.print(line, highlight=False)

    def _print_line(self, event: Event) -> None:
        if isinstance(event, CheckpointEvent):
            self.out.print(f"[green]checkpoint[/] step {event.step}: {escape_markup(event.path)}", highlight=False)
        elif isinstance(event, WarningEvent):
            self.out.print(f"[yellow]warning[/] {escape_markup(warning_text(event))}", highlight=False)
        elif isinstance(event, LogEvent) and event.level in ("info", "warning"):
            self.out.print(event.message, style="dim", highlight=False, markup=False)

    def summary(self, result: TrainResult) -> None:
        from rich.table import Table

        if self.evals:
            table = Table(title="Evaluations")
            for column in ("step", "epoch", "eval loss", "perplexity"):
                table.add_column(column, justify="right")
            for event in self.evals:
                table.add_row(
                    str(event.step), f"{event.epoch:.2f}", f"{event.eval_loss:.4f}", f"{event.perplexity:.2f}"
                )
            self.out.print(table)
        if result.status == "completed":
            self.out.print(
                f"[bold green]done[/]: {result.step} steps; adapter in {escape_markup(result.adapter_dir)}",
                highlight=False,
            )
        elif result.status == "stopped":
            resume = f"; resume with --resume from {result.checkpoint}" if result.checkpoint else ""
            self.out.print(f"[bold yellow]stopped[/] at step {result.step}{escape_markup(resume)}", highlight=False)
        else:
            self.out.print(f"[bold red]failed[/]: {escape_markup(result.message)}", highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m engine.train CONFIG ...`: the same arguments as `ft-tui train`."""
    parser = argparse.ArgumentParser(
        prog="python -m engine.train",
        description="Train a config headless (the same as `ft-tui train`).",
    )
    add_arguments(parser)
    from engine.cli import run_handler

    return run_handler(run, parser.parse_args(list(sys.argv[1:] if argv is None else argv)))
