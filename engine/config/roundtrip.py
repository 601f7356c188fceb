"""Saving over an existing YAML file by editing it in place: comments, key order, spelling and layout kept.

A config opened from a file and saved unchanged gives back the same bytes; changing one field rewrites only that
key's lines. ruamel.yaml (round-trip mode) tells where each top-level key stands and writes each changed value in
the file's own indentation; everything else is copied through untouched, so even layout ruamel would normalise
(`True`, flow lists, odd indents) stays as the user wrote it.
"""

from __future__ import annotations

import io
from itertools import pairwise
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.util import load_yaml_guess_indent

from engine.config.run_config import RunConfig
from engine.config.serialize import config_to_dict

_MISSING = object()


def update_yaml_text(text: str, before: RunConfig, after: RunConfig) -> str:
    """`text` (which loads as `before`) edited so that it loads as `after`, touching only the keys that differ.

    Unchanged: the text itself, byte for byte. A changed key keeps its place and its end-of-line comment; a new
    key goes at the end; a key back at its default is removed. Keys the text spells the axolotl way (a renamed or
    aliased key) stay as written unless their value changes.
    """
    old, new = config_to_dict(before), config_to_dict(after)
    changed = {key: value for key, value in new.items() if old.get(key, _MISSING) != value}
    removed = [key for key in old if key not in new]
    if not changed and not removed:
        return text
    yaml = _round_trip_yaml(text)
    document = yaml.load(text)
    lines = text.splitlines(keepends=True)
    spans = _key_spans(document, lines) if isinstance(document, CommentedMap) else {}
    edits: list[tuple[int, int, list[str]]] = []
    for key in removed:
        if key in spans:
            edits.append((*spans[key], []))
    appended: list[str] = []
    for key, value in changed.items():
        rendered = _render(yaml, key, value)
        if key in spans:
            start, end = spans[key]
            edits.append((start, end, _keep_comment(document, key, lines[start:end], rendered)))
        else:
            appended.extend(rendered)
    for start, end, replacement in sorted(edits, reverse=True):
        lines[start:end] = replacement
    if appended and lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join(lines + appended)


def _round_trip_yaml(text: str) -> YAML:
    """A round-trip YAML keeping quotes, never re-wrapping lines, indented like the file it edits."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    _, indent, block_sequence_indent = load_yaml_guess_indent(text)
    yaml.indent(mapping=_mapping_indent(text), sequence=indent or 2, offset=block_sequence_indent or 0)
    return yaml


def _key_spans(document: CommentedMap, lines: list[str]) -> dict[str, tuple[int, int]]:
    """The lines [start, end) of each top-level key and its value, without the comments and blank lines that
    follow it (those belong to what comes next)."""
    starts = sorted((document.lc.key(key)[0], key) for key in document)
    spans: dict[str, tuple[int, int]] = {}
    for index, (start, key) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        spans[str(key)] = (start, end)
    return spans


def _render(yaml: YAML, key: str, value: Any) -> list[str]:
    stream = io.StringIO()
    yaml.dump({key: _plain(value)}, stream)
    return stream.getvalue().splitlines(keepends=True)


def _keep_comment(document: CommentedMap, key: str, old: list[str], new: list[str]) -> list[str]:
    """A one-line value rewritten keeps the comment that ended its line (`lora_r: 16  # rank`)."""
    token = document.ca.items.get(key, [None, None, None, None])[2]
    if len(old) != 1 or len(new) != 1 or token is None or "#" not in old[0]:
        return new
    comment = token.value.split("\n")[0]
    line = new[0].rstrip("\n")
    column = token.start_mark.column
    return [(line.ljust(column) if len(line) < column else line + " ") + comment + "\n"]


def _mapping_indent(text: str) -> int:
    """How far the file indents a nested mapping under its key (ruamel guesses only the sequence indent)."""
    lines = text.splitlines()
    for line, following in pairwise(lines):
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            stripped = following.lstrip()
            if stripped and following[0].isspace() and not stripped.startswith(("-", "#")):
                return len(following) - len(stripped)
    return 2


def _plain(value: Any) -> Any:
    """Fresh containers for each value, so ruamel never writes anchors for shared ones."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
