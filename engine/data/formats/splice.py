"""Render a chat template once per conversation shape and splice each row's message contents into it.

Rendering the template (Jinja, through transformers) once a row was most of the time of preparing chat data: the
tokenizer itself is several times faster. Most templates only ever print a message's content where it stands
(`'<|im_start|>' + role + '\\n' + content + '<|im_end|>'`), so the rendering of a conversation is fixed text
around its contents, and that text depends only on the conversation's shape (its roles, other message keys and
tools), never on the contents. For such templates the fixed pieces are rendered once per shape and every row is
their interleaving with its own contents, byte for byte what Jinja would give.

A template counts as content-local only when all of these hold, else every row is rendered by Jinja:

- in the template's syntax tree every read of a message's `content` is printed as it is (alone or joined with
  `+`/`~`), or only tested for its type (`is string`); a filter (`| trim`), a condition on it (`if content`,
  `'</think>' in content`), a method call or an assignment makes it not content-local;
- rendering a shape with two different sets of probe contents gives the same pieces around them, each probe once
  and in order; the second set has spaces, quotes, a backslash, a newline and `<&>` in it, so trimming or
  escaping (`tojson` of whole messages) shows; and rendering it with every content empty gives the pieces alone
  (a condition on a content's emptiness that the syntax check missed shows there);
- the first row of each shape, rendered by Jinja too, equals its splice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from engine.data.template_budget import TemplateBudgetError

Render = Callable[[list[dict[str, Any]]], str]
"""Renders a conversation (with the row's tools already bound) without a generation prompt."""

MAX_SHAPES = 4096
"""Shapes whose pieces are kept (a few dozen in real data); rows of further shapes are rendered by Jinja."""

PROBE_FREELY = 64
"""New shapes probed before the splicer asks whether shapes repeat at all: past this many, a new shape is probed
only while rows found a known shape more often than not. Rows that each carry their own tools never repeat a
shape, and probing each (three renders) would cost more than rendering it."""

TYPE_TESTS = frozenset({"string", "defined", "undefined", "none", "mapping", "iterable", "sequence"})
"""Tests whose answer is the same for every text content: they do not make a template depend on the content."""


def _probe(kind: int, index: int) -> str:
    if kind == 0:
        return f"\ue000{index}\ue001"
    return f" \n\ue002{index}\"'\\<&>\ue003\t "


@dataclass(frozen=True)
class Layout:
    """The fixed text of one conversation shape: `pieces[i]` comes before content i, the last piece after all."""

    pieces: tuple[str, ...]

    def splice(self, contents: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
        """The rendered text and the character span of each content in it."""
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        position = 0
        for piece, content in zip(self.pieces, contents, strict=False):
            position += len(piece)
            spans.append((position, position + len(content)))
            position += len(content)
            parts += (piece, content)
        parts.append(self.pieces[-1])
        return "".join(parts), spans


@dataclass
class Splicer:
    """Layouts by conversation shape for one content-local template; see the module docstring."""

    template: str
    local: bool | None = None
    """Whether the template is content-local by its syntax tree; decided on first use."""
    layouts: dict[Any, Layout | None] = field(default_factory=dict)
    """None for a shape whose probes or first row showed it cannot be spliced."""
    hits: int = 0
    """Rows whose shape was known."""

    def render(
        self, messages: Sequence[Mapping[str, Any]], tools: list[Any] | None, render: Render
    ) -> tuple[str, list[tuple[int, int]]] | None:
        """The text and content spans of `messages`, or None when this row must be rendered by Jinja."""
        if self.local is None:
            self.local = content_local(self.template)
        if not self.local:
            return None
        key = shape_of(messages, tools)
        if key is None:
            return None
        if key in self.layouts:
            self.hits += 1
            layout = self.layouts[key]
            return layout.splice([str(m["content"]) for m in messages]) if layout is not None else None
        if len(self.layouts) >= MAX_SHAPES or (len(self.layouts) >= PROBE_FREELY and self.hits < len(self.layouts)):
            return None
        layout = probe_layout(messages, render)
        spliced = layout.splice([str(m["content"]) for m in messages]) if layout is not None else None
        if spliced is not None and spliced[0] != _render_or_none([dict(m) for m in messages], render):
            layout, spliced = None, None
        self.layouts[key] = layout
        return spliced


def shape_of(messages: Sequence[Mapping[str, Any]], tools: list[Any] | None) -> Any:
    """Everything the template sees except the contents: each message's other keys, and the tools.

    A message of only `role` and `content` (the usual case) is keyed by its role alone, others by all their other
    items; None when a message holds a non-text content or a value that cannot key a cache.
    """
    try:
        roles = tuple(
            m["role"]
            if len(m) == 2 and "role" in m
            else tuple(sorted((k, _frozen(v)) for k, v in m.items() if k != "content"))
            for m in messages
        )
        shape = roles, (None if tools is None else json.dumps(tools, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError):
        return None
    if any(not isinstance(m.get("content"), str) for m in messages):
        return None
    return shape


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a message value (tool calls are lists and mappings)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def probe_layout(messages: Sequence[Mapping[str, Any]], render: Render) -> Layout | None:
    """The pieces around the contents, if two different sets of probe contents give the same ones."""
    found: list[tuple[str, ...]] = []
    for kind in (0, 1):
        probes = [_probe(kind, i) for i in range(len(messages))]
        text = _render_or_none([{**m, "content": p} for m, p in zip(messages, probes, strict=True)], render)
        pieces = _split(text, probes) if text is not None else None
        if pieces is None:
            return None
        found.append(pieces)
    if found[0] != found[1]:
        return None
    empty = _render_or_none([{**m, "content": ""} for m in messages], render)
    return Layout(found[0]) if empty == "".join(found[0]) else None


def _render_or_none(messages: list[dict[str, Any]], render: Render) -> str | None:
    try:
        return render(messages)
    except TemplateBudgetError:  # every row would run out of its budget too: stop at once
        raise
    except Exception:  # Jinja raises many types; the row's own rendering reports the error.
        return None


def _split(text: str, probes: Sequence[str]) -> tuple[str, ...] | None:
    """`text` cut around each probe, when every probe appears exactly once and in order."""
    pieces: list[str] = []
    cursor = 0
    for probe in probes:
        if text.count(probe) != 1:
            return None
        found = text.find(probe, cursor)
        if found < 0:
            return None
        pieces.append(text[cursor:found])
        cursor = found + len(probe)
    pieces.append(text[cursor:])
    return tuple(pieces)


@lru_cache(maxsize=32)
def content_local(template: str) -> bool:
    """True when the template's syntax tree only prints message contents as they are (see the module docstring).

    A template that cannot be parsed here is treated as not content-local: its rows are rendered by Jinja.
    """
    try:
        from transformers.utils.chat_template_utils import _compile_jinja_template

        tree = _compile_jinja_template(template).environment.parse(template)
    except Exception:  # a parse error or another transformers layout: the safe answer is "render every row"
        return False
    return _content_reads_are_printed(tree, ())


def _content_reads_are_printed(node: Any, ancestors: tuple[Any, ...]) -> bool:
    from jinja2 import nodes

    if _reads_content(node, nodes) and not _printed_as_is(node, ancestors, nodes):
        return False
    return all(_content_reads_are_printed(child, (*ancestors, node)) for child in node.iter_child_nodes())


def _reads_content(node: Any, nodes: Any) -> bool:
    """`m.content`, `m['content']` or `m.get('content', ...)`."""
    if isinstance(node, nodes.Getattr):
        return bool(node.attr == "content")
    if isinstance(node, nodes.Getitem):
        return isinstance(node.arg, nodes.Const) and node.arg.value == "content"
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr == "get":
        return bool(node.args) and isinstance(node.args[0], nodes.Const) and node.args[0].value == "content"
    return False


def _printed_as_is(node: Any, ancestors: tuple[Any, ...], nodes: Any) -> bool:
    """The content flows, through `+`/`~` joins only, into printed output; or it is only type-tested."""
    child = node
    for parent in reversed(ancestors):
        if isinstance(parent, nodes.Add | nodes.Concat):
            child = parent
            continue
        if isinstance(parent, nodes.Output):
            return True
        return isinstance(parent, nodes.Test) and parent.node is child and parent.name in TYPE_TESTS
    return False
