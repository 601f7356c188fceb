"""Where a run reports to: events.jsonl (and stdout with --events), the human log.txt, and a progress callback."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from engine.events import Event, EventWriter, LogEvent, PhaseEvent, WarningEvent, open_run_events
from engine.events.schema import LogLevel, Phase
from engine.runs.paths import LOG_FILE
from engine.train.distributed import is_main_process

LEVELS: dict[int, LogLevel] = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
}

EventCallback = Callable[[Event], None]
"""Receives every event the run emits; the CLI draws its progress bar and eval table from them."""


class Reporter:
    """Fans each event out to the events file, stdout and the progress callback, and keeps log.txt.

    Only the main process writes; other ranks of a multi-GPU job get a silent reporter, so every line appears once.
    """

    def __init__(self, output_dir: Path, *, events_stdout: bool = False, progress: EventCallback | None = None) -> None:
        self.enabled = is_main_process()
        self.progress = progress
        self._writer: EventWriter | None = None
        self._log: TextIO | None = None
        if self.enabled:
            self._writer = open_run_events(output_dir, echo_stdout=events_stdout)
            self._log = (output_dir / LOG_FILE).open("a", encoding="utf-8")

    def emit(self, event: Event) -> None:
        if not self.enabled:
            return
        assert self._writer is not None
        self._writer.emit(event)
        if self.progress is not None:
            self.progress(event)

    def log(self, message: str, level: LogLevel = "info", logger: str = "engine") -> None:
        """A human line in log.txt, mirrored as a log event."""
        if not self.enabled:
            return
        self.write_log(level, message)
        self.emit(LogEvent(level=level, message=message, logger=logger))

    def warning(self, message: str, rule_id: str | None = None) -> None:
        if not self.enabled:
            return
        self.write_log("warning", message if rule_id is None else f"{rule_id}: {message}")
        self.emit(WarningEvent(message=message, rule_id=rule_id))

    def phase(self, phase: Phase, detail: str = "") -> None:
        if not self.enabled:
            return
        self.write_log("info", f"[{phase}] {detail}".rstrip())
        self.emit(PhaseEvent(phase=phase, detail=detail))

    def write_log(self, level: str, message: str) -> None:
        """A line in log.txt only (a traceback, say, that has no place in the event stream)."""
        if self._log is None:
            return
        assert self._log is not None
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        self._log.write(f"{stamp} {level.upper():7} {message}\n")
        self._log.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._log is not None:
            self._log.close()


class ReporterLogHandler(logging.Handler):
    """Routes warnings from transformers, peft and accelerate into log.txt and log events instead of stderr."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__(level=logging.WARNING)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().strip()
        if record.name == "py.warnings":
            # Deprecation notices between libraries: kept in log.txt for whoever debugs, not shown to the user.
            self.reporter.write_log("debug", message.splitlines()[0])
            return
        self.reporter.log(message, level=LEVELS.get(record.levelno, "warning"), logger=record.name)


LIBRARY_LOGGERS = ("transformers", "peft", "accelerate", "py.warnings")


def capture_library_logs(reporter: Reporter) -> Callable[[], None]:
    """Attach the handler to the libraries' loggers; returns the function that detaches it."""
    handler = ReporterLogHandler(reporter)
    logging.captureWarnings(True)
    loggers = [logging.getLogger(name) for name in LIBRARY_LOGGERS]
    saved = [(lg, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False

    def detach() -> None:
        logging.captureWarnings(False)
        for lg, propagate in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate

    return detach
