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
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        return [event for event in (self._parse(line) for line in lines) if event is not None]

    def _parse(self, line: bytes) -> Event | None:
        if not line.strip():
            return None
        try:
            return parse_event(line)
        except ValidationError:
            self.bad_lines += 1
            return None


def read_events(path: str | Path) -> list[Event]:
    """Every valid event in a file (a finished run, or a live run so far)."""
    return EventTail(Path(path)).poll()
