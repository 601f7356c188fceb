"""`train()`: one run from a config to an adapter, reported as events; the entry point of every front end."""

from __future__ import annotations

import errno
import gc
import os
import re
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config import ConfigError, RunConfig
from engine.config.paths import with_outputs_expanded
from engine.errors import FtTuiError, first_line, one_line
from engine.events import ErrorEvent, FinishedEvent
from engine.rules import Finding
from engine.runs.paths import CONFIG_FILE, LOG_FILE
from engine.train.distributed import is_main_process
from engine.train.errors import TrainError
from engine.train.model_card import write_model_card
from engine.train.reporter import EventCallback, Reporter, capture_library_logs
from engine.train.state import RunTally
from engine.train.stopping import StopRequest
from engine.wording import gib

if TYPE_CHECKING:
    from engine.events.schema import FinishStatus
    from engine.runs.lock import RunLock


DISK_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EROFS: "the disk is read-only",
}


@dataclass(frozen=True)
class TrainResult:
    """How a run ended and where its results are."""

    status: str
    """completed, stopped or failed (the same words as the finished event)."""
    step: int
    output_dir: Path
    adapter_dir: Path | None = None
    checkpoint: Path | None = None
    """Where to resume from after a stop."""
    final_loss: float | None = None
    final_eval_loss: float | None = None
    tokens_seen: int = 0
    elapsed_s: float = 0.0
    message: str = ""


def train(
    config: RunConfig,
    *,
    resume: bool = False,
    events_stdout: bool = False,
    progress: EventCallback | None = None,
    device: str | None = None,
    overrides: dict[str, Any] | None = None,
    stop: StopRequest | None = None,
    force: bool = False,
) -> TrainResult:
    """Train `config` on this machine and return how it ended.

    Everything the run does is reported as events to `output_dir/events.jsonl` (and stdout with `events_stdout`,
    and `progress`); human lines go to `output_dir/log.txt`. Ctrl-C or SIGTERM saves a checkpoint and returns a
    `stopped` result. Problems the user can fix raise TrainError with a one-line message, after the error and
    finished events were written. `overrides` (the command line's) are recorded in the run's config copy.

    The run claims `output_dir` first (engine.runs.folder): a folder in use by another live run, or holding an
    earlier run's progress (unless `resume`, or `force`: moved aside), raises TrainError before anything is written
    there.
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    config = with_outputs_expanded(config)
    output_dir = Path(config.output_dir)
    lock = _claim(output_dir, resume=resume, force=force)
    try:
        replaced = lock.replaced if lock is not None else None
        return _train(config, output_dir, resume, events_stdout, progress, device, overrides, stop, replaced)
    finally:
        if lock is not None:
            lock.release()


def _train(
    config: RunConfig,
    output_dir: Path,
    resume: bool,
    events_stdout: bool,
    progress: EventCallback | None,
    device: str | None,
    overrides: dict[str, Any] | None,
    stop: StopRequest | None,
    replaced: Path | None = None,
) -> TrainResult:
    reporter = Reporter(output_dir, events_stdout=events_stdout, progress=progress)
    if replaced is not None:
        reporter.log(f"force: the run this one replaces was moved to {replaced}")
    stop = stop or StopRequest()
    stop.on_request = lambda reason: reporter.log(f"stop requested ({reason}): saving a checkpoint after this step")
    tally = RunTally()
    detach = capture_library_logs(reporter)
    try:
        with stop:
            return _run(config, resume, device, overrides or {}, reporter, stop, tally)
    except KeyboardInterrupt as interrupt:
        return _finish(reporter, tally, "stopped", output_dir, message=f"interrupted ({interrupt or 'SIGINT'})")
    except TrainError as error:
        _fail(reporter, tally, output_dir, str(error))
        raise
    except ConfigError as error:
        _fail(reporter, tally, output_dir, error.message)
        raise TrainError(error.message) from error
    except Exception as error:
        message = user_message(error, kept=tally.last_checkpoint)
        detail = traceback.format_exc() if message.startswith("internal") else ""
        _fail(reporter, tally, output_dir, message, detail=detail)
        raise TrainError(message) from error
    finally:
        detach()
        reporter.close()


def _claim(output_dir: Path, *, resume: bool, force: bool) -> RunLock | None:
    """Only the main process of a multi-GPU job claims the folder (the other ranks write nothing there)."""
    from engine.runs.folder import RunFolder
    from engine.runs.lock import RunLockError

    if not is_main_process():
        return None
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as error:
        raise TrainError(f"output_dir '{output_dir}' is a file, not a folder; set output_dir to a folder") from error
    except OSError as error:
        raise TrainError(f"cannot create output_dir '{output_dir}': {error.strerror or error}") from error
    try:
        return RunFolder(output_dir).claim(resume=resume, force=force)
    except RunLockError as error:
        raise TrainError(str(error)) from error
    except OSError as error:  # the lock is the run's first write: a full disk shows here first
        if error.errno not in DISK_ERRNOS:
            raise
        raise TrainError(
            f"{DISK_ERRNOS[error.errno]}: cannot write the run lock in '{output_dir}'; "
            "free some space or set output_dir to a folder on another disk"
        ) from None


def _run(
    config: RunConfig,
    resume: bool,
    device: str | None,
    overrides: dict[str, Any],
    reporter: Reporter,
    stop: StopRequest,
    tally: RunTally,
) -> TrainResult:
    reporter.phase("starting", config.base_model)
    from engine.train.session import prepare_session  # torch and transformers load here, after the first event

    session = prepare_session(config, resume=resume, device=device, reporter=reporter, stop=stop, tally=tally)
    if is_main_process():
        write_config_copy(session.config, overrides, session.automatic)
    trainer = session.trainer
    with frozen_heap():
        trainer.train(resume_from_checkpoint=str(session.resume_from) if session.resume_from else None)
    finished_all = trainer.state.global_step >= trainer.state.max_steps
    if stop.requested and (stop.failed or not finished_all):  # ruined weights at the last step are not saved
        status: FinishStatus = "failed" if stop.failed else "stopped"
        return _finish(reporter, tally, status, Path(config.output_dir), message=stop.reason)
    reporter.phase("saving", "final adapter" if session.config.uses_lora() else "final model")
    _save_final(trainer, Path(config.output_dir))
    write_model_card(Path(config.output_dir), session.config, session.facts, tally)
    reporter.log(f"saved the {'adapter' if session.config.uses_lora() else 'model'} to {config.output_dir}")
    return _finish(reporter, tally, "completed", Path(config.output_dir), adapter_dir=Path(config.output_dir))


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the objects alive before training (imported modules, the model: ~480k) out of garbage collection.

    The Trainer starts with a full `gc.collect()` (accelerate's free_memory) and Python runs more during training;
    each walked all of them (0.26 s of CPU on the default preset) although they live the whole run. Frozen, they
    are skipped; afterwards they return to the collector, so an in-process caller loses nothing.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def write_config_copy(config: RunConfig, overrides: dict[str, Any], automatic: list[Finding]) -> Path:
    """The config this run really used, beside its results: overrides and auto-set values applied and listed."""
    from engine.config import save_config

    lines = [f"The effective config of this run (ft-tui train, {time.strftime('%Y-%m-%d %H:%M:%S')})."]
    given = ", ".join(f"{key}: {_shown(getattr(config, key, value))}" for key, value in overrides.items())
    lines.append(f"Command-line overrides: {given or 'none'}")
    for finding in automatic:
        if finding.auto_set:
            lines.append(f"Set automatically ({finding.rule_id}): {finding.message}")
    return save_config(config, Path(config.output_dir) / CONFIG_FILE, header="\n".join(lines))


def _shown(value: Any) -> str:
    """A value as it reads in YAML (`1.0e-04`, `true`), the way the body of the file shows it."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _finish(
    reporter: Reporter,
    tally: RunTally,
    status: FinishStatus,
    output_dir: Path,
    *,
    adapter_dir: Path | None = None,
    message: str = "",
) -> TrainResult:
    checkpoint = tally.last_checkpoint if status != "completed" else None
    elapsed = time.time() - tally.start_time
    summary = (
        f"run {status}" + (f": {message}" if message else "") + (f"; resume from {checkpoint}" if checkpoint else "")
    )
    reporter.log(summary, level="error" if status == "failed" else "info")
    if tally.peak_memory_mb is not None and tally.memory_estimate_mb is not None:
        reporter.log(f"memory: {memory_check(tally.memory_estimate_mb, tally.peak_memory_mb)}")
    reporter.emit(
        FinishedEvent(
            status=status,
            step=tally.step,
            elapsed_s=elapsed,
            tokens_seen=tally.tokens_seen,
            final_loss=tally.last_loss,
            final_eval_loss=tally.last_eval_loss,
            adapter_dir=str(adapter_dir) if adapter_dir else None,
            checkpoint=checkpoint,
            peak_memory_mb=tally.peak_memory_mb,
            memory_estimate_mb=tally.memory_estimate_mb,
        )
    )
    return TrainResult(
        status=status,
        step=tally.step,
        output_dir=output_dir,
        adapter_dir=adapter_dir,
        checkpoint=Path(checkpoint) if checkpoint else None,
        final_loss=tally.last_loss,
        final_eval_loss=tally.last_eval_loss,
        tokens_seen=tally.tokens_seen,
        elapsed_s=elapsed,
        message=message,
    )


def memory_check(estimate_mb: float, used_mb: float) -> str:
    """`estimated 1.6 GiB, used 1.7 GiB`: validate's estimate beside the run's measured peak, on every run."""
    return f"estimated {gib(estimate_mb / 1024)}, used {gib(used_mb / 1024)}"


def _fail(reporter: Reporter, tally: RunTally, output_dir: Path, message: str, detail: str = "") -> None:
    if detail:
        reporter.write_log("error", detail.rstrip())
    reporter.emit(ErrorEvent(message=message, detail=detail))
    _finish(reporter, tally, "failed", output_dir, message=message)


def _save_final(trainer: Any, output_dir: Path) -> None:
    """The final adapter (or model) into output_dir; a save that fails half-way (a full disk) leaves none of its
    files behind, so what remains is the last complete checkpoint and nothing that looks like a finished result."""
    before = {path.name for path in output_dir.iterdir()}
    try:
        trainer.save_model(str(output_dir))
    except BaseException:
        if is_main_process():
            for path in output_dir.iterdir():
                if path.name not in before and path.is_file():
                    path.unlink(missing_ok=True)
        raise


_OS_ERROR_IN_TEXT = re.compile(r"(?:os error|code:) (\d+)")
"""How safetensors' own SafetensorError (not an OSError) carries the operating system's error in its text."""


def _disk_error(error: BaseException) -> tuple[int, str | None] | None:
    """(errno, file) when a full disk or a refused write is behind `error`, found along its causes; safetensors
    raises SafetensorError whose text ends `... (os error 28)`, so it is read from there."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_ERRNOS:
            return seen.errno, seen.filename
        match = _OS_ERROR_IN_TEXT.search(str(seen)) if type(seen).__name__ == "SafetensorError" else None
        if match and int(match.group(1)) in DISK_ERRNOS:
            return int(match.group(1)), None
        seen = seen.__cause__ or seen.__context__
    return None


def user_message(error: Exception, *, kept: str | None = None) -> str:
    """One line for an exception: an FtTuiError's own message (a problem the user can fix), else marked internal.

    A full disk or a permission problem names the file and what the run kept (`kept`: its last checkpoint)."""
    if isinstance(error, FtTuiError):
        return one_line(error)
    first = first_line(error)
    disk = _disk_error(error)
    if disk is not None:
        code, filename = disk
        where = f" writing {filename}" if filename else ""
        what = f"the last complete checkpoint is {kept}" if kept else "no checkpoint was kept"
        return f"{DISK_ERRNOS[code]}{where}; {what} (half-written files were removed)"
    if isinstance(error, MemoryError) or "out of memory" in first.lower():
        return f"out of memory: {first}; lower micro_batch_size or sequence_len, or set gradient_checkpointing: true"
    return f"internal error: {one_line(error)} (full traceback in {LOG_FILE})"
