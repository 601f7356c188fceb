"""How numbers read in every message: a count with its noun in the right number, and memory in GiB.

One place for both, so the CLI, the rules and the wizard never write "1 rows" or mix "24 GB" with "23.5 GiB".
"""

from __future__ import annotations

GIB = 1024**3


def count(number: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2 rows', '1,024 batches': the number with thousands separators and the noun agreeing with it."""
    word = noun if number == 1 else (plural or f"{noun}s")
    return f"{number:,} {word}"


def gib(value: float) -> str:
    """A memory size given in GiB, as every message shows it: one decimal and the unit, e.g. '23.5 GiB'."""
    return f"{value:.1f} GiB"
