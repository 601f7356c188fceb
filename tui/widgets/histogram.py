"""Token-length histogram and trained/masked sample rendering for the data steps (plain Content, no state)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.content import Content

BLOCKS = " ▁▂▃▄▅▆▇█"
CHART_HEIGHT = 4
SAMPLE_CHARS = 700


def length_chart(buckets: Sequence[Any], sequence_len: int, dropped: int, truncated: int) -> Content:
    """Bars of rows per length bucket up to sequence_len, with the rows beyond it (dropped or truncated)."""
    counts = [bucket.rows for bucket in buckets]
    beyond = dropped + truncated
    peak = max([*counts, beyond, 1])
    width = 2
    lines = []
    for level in range(CHART_HEIGHT, 0, -1):
        row = Content.assemble(*[(_cell(count, peak, level) * width, "$text-primary") for count in counts])
        over = (" │ " + _cell(beyond, peak, level) * width, "$text-error") if beyond else ""
        lines.append(Content.assemble(row, over))
    axis = f"0{'tokens'.center(len(counts) * width - len(str(sequence_len)) - 1)}{sequence_len}"
    over_label = f" │ > {sequence_len}" if beyond else ""
    lines.append(Content.assemble((axis, "$text-muted"), (over_label, "$text-error")))
    return Content("\n").join(lines)


def _cell(count: int, peak: int, level: int) -> str:
    """The block for one bar at one chart row: full below its height, partial at the top, blank above."""
    eighths = round(count / peak * CHART_HEIGHT * 8)
    filled = eighths - (level - 1) * 8
    if count and filled <= 0 and level == 1:
        return BLOCKS[1]
    return BLOCKS[max(0, min(8, filled))]


def sample_content(segments: Sequence[tuple[str, bool]], limit: int = SAMPLE_CHARS) -> Content:
    """A rendered sample with trained tokens highlighted and masked ones dimmed, cut at `limit` characters."""
    parts: list[tuple[str, str]] = []
    used = 0
    for text, trained in segments:
        piece = text[: max(0, limit - used)]
        used += len(piece)
        parts.append((piece, "bold $text-success" if trained else "$text-muted"))
        if used >= limit:
            parts.append((" …", "$text-muted"))
            break
    return Content.assemble(*parts)
