"""`ft-tui export --progress-lines`: what the export is doing as one JSON object per stdout line, for a front end
that runs the command as a child process (the monitor's Export) and draws its own progress.

The writer (engine/cli/export.py) and the reader (tui/monitor/export.py) share these classes, so the shape of a
line has one owner. A line that is not one of them (a library printing to stdout) is skipped by the reader.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Step:
    """A stage began (finding the base, merging, writing): its one-line description."""

    message: str


@dataclass(frozen=True)
class Tensors:
    """`done` of `total` tensors are written to the temporary file."""

    done: int
    total: int


@dataclass(frozen=True)
class Done:
    """Everything is in place: the files written (the GGUF first) and the command to run next."""

    paths: tuple[str, ...]
    next_command: str
    note: str = ""
    """A line to read before running it (which base GGUF a LoRA goes on, a Modelfile without TEMPLATE)."""


@dataclass(frozen=True)
class Failed:
    """The export stopped; nothing was left where the file was going. The error's message and fix, one line each."""

    message: str
    fix: str


ExportLine = Step | Tensors | Done | Failed
_KINDS: dict[str, type[Step] | type[Tensors] | type[Done] | type[Failed]] = {
    "step": Step,
    "tensors": Tensors,
    "done": Done,
    "failed": Failed,
}


def to_json(line: ExportLine) -> str:
    kind = next(name for name, cls in _KINDS.items() if isinstance(line, cls))
    return json.dumps({"type": kind, **asdict(line)}, ensure_ascii=False)


def from_json(text: str) -> ExportLine | None:
    """The line as one of the classes above; None for anything else."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    cls = _KINDS.get(data.get("type", "")) if isinstance(data, dict) else None
    if cls is None:
        return None
    names = {field.name for field in fields(cls)}
    values: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value for key, value in data.items() if key in names
    }
    try:
        return cls(**values)
    except TypeError:
        return None
