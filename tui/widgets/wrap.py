"""Line breaks for the side panels: between words, and inside a hub id or a path only at its seams."""

from __future__ import annotations

import re

from textual.content import Content

BREAKS = "/-_."
"""Where an id or a path longer than the panel is broken: after these, so each piece reads as part of a name."""


def wrap_words(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width`, broken between words; a word longer than a line (a hub id, a path) is
    broken after a `/`, `-`, `_` or `.` where one fits, rather than at whatever letter the edge falls on."""
    return [text[start:end] for start, end in line_spans(text, width)]


def wrap_content(content: Content, width: int) -> Content:
    """`content` broken into lines as `wrap_words` breaks text, its styles kept; unchanged for no width yet."""
    if width <= 0:
        return content
    text = content.plain
    return Content("\n").join([content[start:end] for start, end in line_spans(text, width)])


def line_spans(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` wrapped at `width`; its own line breaks are kept."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for paragraph in text.split("\n"):
        spans += [(offset + start, offset + end) for start, end in _paragraph_spans(paragraph, width)]
        offset += len(paragraph) + 1
    return spans


def _paragraph_spans(text: str, width: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    line: tuple[int, int] | None = None
    for word in re.finditer(r"\S+", text):
        start, end = word.span()
        while end - start > width:
            if line is not None:
                spans.append(line)
                line = None
            cut = max(text.rfind(mark, start, start + width) for mark in BREAKS) + 1
            cut = cut if cut > start else start + width
            spans.append((start, cut))
            start = cut
        if line is None:
            line = (start, end)
        elif end - line[0] <= width:
            line = (line[0], end)
        else:
            spans.append(line)
            line = (start, end)
    spans.append(line if line is not None else (0, 0))
    return spans
