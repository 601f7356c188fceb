"""Reading events back: whole files for finished runs, and incremental tails for live ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from engine.events.schema import Event, parse_event


@dataclass
class EventTail:
    """Follows an events file by byte offset, returning only whole new lines on each poll.

    Works the same for a live run, a finished one, or a run whose writer restarted (a resume appends to the
    same file); a line still being written is left for the next poll. Lines that do not parse are counted, not
    fatal, so one corrupt line never hides the rest of a run.
    """

    path: Path
    offset: int = 0
    bad_lines: int = 0
    _partial: bytes = field(default=b"", repr=False)

    def poll(self) -> list[Event]:
        try:
            with self.path.open("rb") as stream:
                stream.seek(self.offset)
                chunk = stream.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        lines = parse_event_lines(self._partial + chunk)
        self._partial = lines.rest
        self.bad_lines += lines.bad_lines
        return lines.events


@dataclass(frozen=True)
class EventLines:
    """What a run of bytes from an events file holds: its valid events, how many whole lines did not parse, and
    the unterminated rest (a line still being written, or cut by the reader's window)."""

    events: list[Event]
    bad_lines: int
    rest: bytes


def parse_event_lines(data: bytes) -> EventLines:
    """The one events-file parser: only newline-terminated lines count, blank lines are skipped, and a line that
    is not a valid event is counted and passed over, so one corrupt line never hides the rest of a run.

    The monitor's tail and the runs list's status both read through it, so they never disagree about a line.
    """
    *lines, rest = data.split(b"\n")
    events: list[Event] = []
    bad_lines = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            events.append(parse_event(line))
        except ValidationError:
            bad_lines += 1
    return EventLines(events, bad_lines, rest)


def read_events(path: str | Path) -> list[Event]:
    """Every valid event in a file (a finished run, or a live run so far)."""
    return EventTail(Path(path)).poll()
