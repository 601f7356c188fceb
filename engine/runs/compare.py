"""Runs side by side: the facts `ft-tui compare` prints and the monitor's Compare screen draws, read from run folders.

Pure reading: each run's events file gives its effective config (the last fresh `started` event), its curves and its
numbers; nothing here draws or prints. A torn or partly corrupt events file is read as far as it is valid and says
how many lines it could not use, so an interrupted run still compares.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import EXIT_USAGE, FtTuiError
from engine.events import EvalEvent, Event, FinishedEvent, StartedEvent, StepEvent, parse_event_lines
from engine.runs.paths import EVENTS_FILE

IGNORED_KEYS = frozenset(
    {"output_dir", "dataset_prepared_path", "resume_from_checkpoint", "wandb_name", "wandb_run_id"}
)
"""Keys that differ between any two runs without changing what they learn (where results and caches go)."""


class CompareError(FtTuiError):
    """Runs that cannot be compared: fewer than two, a folder that is missing or holds no run."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class RunFacts:
    """One run, as compared: its curves and the numbers of its table row."""

    run_dir: str
    name: str
    status: str
    """completed, stopped, failed, or unfinished (still running, or killed before it could say so)."""
    config: dict[str, Any]
    steps: int
    final_loss: float | None
    eval_loss: float | None
    tokens_per_second: float | None
    """The median rate of the logged steps: warm-up and pauses do not move it."""
    peak_memory_mb: float | None
    duration_s: float | None
    loss: list[tuple[int, float]] = field(default_factory=list)
    eval: list[tuple[int, float]] = field(default_factory=list)
    unreadable_lines: int = 0
    """Lines of the events file that are not valid events (a torn last line counts)."""


@dataclass(frozen=True)
class Comparison:
    """Every run's facts, and the config keys whose values are not the same in all of them."""

    runs: list[RunFacts]
    differences: dict[str, list[Any]]
    """key -> its value in each run, in `runs` order (None where a run does not set it)."""

    def to_json(self) -> dict[str, Any]:
        return {"runs": [_run_json(run) for run in self.runs], "differences": self.differences}


def compare_runs(run_dirs: list[Path]) -> Comparison:
    """The comparison of two or more run folders; raises CompareError naming the first folder that cannot take part."""
    if len(run_dirs) < 2:
        raise CompareError(
            f"compare needs at least two run folders, got {len(run_dirs)}", fix="name two or more run folders"
        )
    runs = [read_run(Path(run_dir)) for run_dir in run_dirs]
    return Comparison(runs, config_differences([run.config for run in runs]))


def read_run(run_dir: Path) -> RunFacts:
    """One run folder's facts; a folder that is missing, not a run, or never started training is a CompareError."""
    if not run_dir.is_dir():
        raise CompareError(f"{run_dir} is not a folder", fix="name a run folder (the output_dir of a run)")
    events_path = run_dir / EVENTS_FILE
    if not events_path.is_file():
        raise CompareError(f"{run_dir} is not a run folder: it has no {EVENTS_FILE}", fix="name a run's output_dir")
    try:
        lines = parse_event_lines(events_path.read_bytes())
    except OSError as error:
        raise CompareError(f"cannot read {events_path}: {error.strerror or error}") from error
    events = _current_run(lines.events)
    torn = 1 if lines.rest.strip() else 0
    started = next((event for event in events if isinstance(event, StartedEvent)), None)
    if started is None:
        raise CompareError(f"{run_dir} has no training events yet (no started event in its {EVENTS_FILE})")
    return _facts(run_dir, started, events, lines.bad_lines + torn)


def _current_run(events: list[Event]) -> list[Event]:
    """From the last fresh start on: a folder reused for a new run keeps the old lines; a resume continues the run."""
    fresh = [i for i, event in enumerate(events) if isinstance(event, StartedEvent) and event.resumed_from is None]
    return events[fresh[-1] :] if fresh else events


def _facts(run_dir: Path, started: StartedEvent, events: list[Event], unreadable: int) -> RunFacts:
    steps = [event for event in events if isinstance(event, StepEvent)]
    evals = [event for event in events if isinstance(event, EvalEvent)]
    finished = [event for event in events if isinstance(event, FinishedEvent)]
    ends = [event for event in events if isinstance(event, StartedEvent | FinishedEvent)]
    last = ends[-1] if isinstance(ends[-1], FinishedEvent) else None
    memory = [event.memory_mb for event in steps if event.memory_mb is not None]
    return RunFacts(
        run_dir=str(run_dir),
        name=started.run_name,
        status=last.status if last is not None else "unfinished",
        config=dict(started.config),
        steps=steps[-1].step if steps else 0,
        final_loss=steps[-1].loss if steps else None,
        eval_loss=evals[-1].eval_loss if evals else None,
        tokens_per_second=statistics.median(event.tokens_per_second for event in steps) if steps else None,
        peak_memory_mb=max(memory) if memory else None,
        duration_s=sum(event.elapsed_s for event in finished) if finished else None,
        loss=[(event.step, event.loss) for event in steps],
        eval=[(event.step, event.eval_loss) for event in evals],
        unreadable_lines=unreadable,
    )


def config_differences(configs: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Keys (in first-seen order) whose value is not the same in every config; where a run lives is left out."""
    keys = dict.fromkeys(key for config in configs for key in config)
    differences = {}
    for key in keys:
        values = [config.get(key) for config in configs]
        if key not in IGNORED_KEYS and any(value != values[0] for value in values[1:]):
            differences[key] = values
    return differences


def _run_json(run: RunFacts) -> dict[str, Any]:
    data = asdict(run)
    data.pop("config")
    data["loss"] = [list(point) for point in run.loss]
    data["eval"] = [list(point) for point in run.eval]
    return data


def table_rows(comparison: Comparison) -> list[tuple[str, list[str]]]:
    """The difference table as text, one row a fact or a differing key and one column a run: what the CLI prints
    and the Compare screen shows."""
    runs = comparison.runs
    rows = [
        ("folder", [run.run_dir for run in runs]),
        ("status", [run.status for run in runs]),
        ("steps", [str(run.steps) for run in runs]),
        ("final loss", [_number(run.final_loss, "{:.4f}") for run in runs]),
        ("eval loss", [_number(run.eval_loss, "{:.4f}") for run in runs]),
        ("tokens/s", [_number(run.tokens_per_second, "{:,.0f}") for run in runs]),
        ("peak memory", [_number(run.peak_memory_mb and run.peak_memory_mb / 1024, "{:.2f} GiB") for run in runs]),
        ("duration", [_duration(run.duration_s) for run in runs]),
    ]
    rows += [(key, [_value(value) for value in values]) for key, values in comparison.differences.items()]
    return rows


def _number(value: float | None, form: str) -> str:
    return "-" if value is None else form.format(value)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{rest}s"


def _value(value: Any) -> str:
    return "(not set)" if value is None else str(value)
