"""Appending events to a run's events.jsonl (and optionally stdout), one flushed line each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from engine.events.schema import Event
from engine.runs.paths import EVENTS_FILE


class EventWriter:
    """Writes each event as one complete line and flushes it at once.

    A monitor tails the file while we write, possibly from another process after the TUI restarted, so a line
    must never be left half-written in a buffer; appending keeps the history of a resumed run in one file.
    """

    def __init__(self, path: Path, echo: TextIO | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        torn = _ends_mid_line(path)
        self._stream = path.open("a", encoding="utf-8")
        if torn:  # a killed writer left half a line: end it, so our first event is a line of its own
            self._stream.write("\n")
            self._stream.flush()
        self._echo = echo

    def emit(self, event: Event) -> None:
        line = event.model_dump_json() + "\n"
        self._stream.write(line)
        self._stream.flush()
        if self._echo is not None:
            self._echo.write(line)
            self._echo.flush()

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _ends_mid_line(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            if handle.tell() == 0:
                return False
            handle.seek(-1, 2)
            return handle.read(1) != b"\n"
    except OSError:
        return False


def open_run_events(output_dir: str | Path, echo_stdout: bool = False) -> EventWriter:
    """The writer for a run folder's events file."""
    return EventWriter(Path(output_dir) / EVENTS_FILE, sys.stdout if echo_stdout else None)
