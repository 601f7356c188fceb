"""How numbers and names read in every message: a count with its noun in the right number, memory in GiB, and the
name a misspelt value most likely meant.

One place for each, so the CLI, the rules and the wizard never write "1 rows" or mix "24 GB" with "23.5 GiB".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def count(number: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2 rows', '1,024 batches': the number with thousands separators and the noun agreeing with it."""
    word = noun if number == 1 else (plural or f"{noun}s")
    return f"{number:,} {word}"


def gib(value: float) -> str:
    """A memory size given in GiB, as every message shows it: one decimal and the unit, e.g. '23.5 GiB'."""
    return f"{value:.1f} GiB"


def closest(value: str, known: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The known name `value` most likely misspells, or None when none is at least `cutoff` similar (difflib)."""
    matches = difflib.get_close_matches(value, list(known), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """' (did you mean sdpa?)' to follow a list of the choices, or '' when none is close to `value`."""
    match = closest(value, known)
    return f" (did you mean {match}?)" if match else ""
