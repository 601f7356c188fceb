"""The `chat_template` format: render a conversation with a chat template and train the chosen turns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.data.errors import RowProblem
from engine.data.formats.messages import MessageReader
from engine.data.formats.splice import Splicer, shape_of
from engine.data.formats.tools import read_tools
from engine.data.spans import Encoded, TextSample, encode_spans
from engine.data.template_budget import TemplateBudgetError, render_within_budget

TRAIN_ON_EOS = ("turn", "last", "all", "none")
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
"""Private-use characters around a message number: what stands for a content when locating contents."""
_MAX_LAYOUTS = 4096
"""Conversation shapes whose marker rendering is kept (a few dozen in real data)."""


@dataclass(frozen=True)
class ChatFormatter:
    """Encodes conversations; labels cover the content of `roles_to_train` turns plus their end-of-turn token.

    Masking works on the rendered text: each message's content is located in the full rendering, and tokens are
    labelled by character offsets. For a content-local template the rendering is spliced from pieces rendered once
    per conversation shape, which gives the spans directly (`Splicer`); otherwise each row is rendered by Jinja and
    its contents located (by a marker rendering, else by searching after the rendering of the conversation up to
    each message, so a header that happens to contain the same words is never matched).

    The row's `field_tools` column (a list of JSON schemas, or a JSON string of one) is passed to the template as
    `tools`, as transformers' `apply_chat_template(tools=...)` does.
    """

    tokenizer: Any
    template: str
    reader: MessageReader
    roles_to_train: tuple[str, ...] = ("assistant",)
    train_on_eos: str = "turn"
    train_on_inputs: bool = False
    end_tokens: tuple[str, ...] = ()
    """Special token strings that can close a turn; see `special_token_texts`."""
    field_tools: str = "tools"
    """The column holding the row's tool definitions (axolotl's `field_tools`, same default)."""
    template_name: str = "`chat_template`"
    """How messages name the template (`describe_chat_template`): which one failed, and where it came from."""
    splice: bool = True
    """Splice contents into once-per-shape renderings where the template allows it; False renders every row by
    Jinja (what the splice is tested against)."""
    _splicer: Splicer = field(init=False, compare=False, repr=False)
    """Pieces of the rendering per conversation shape, for content-local templates."""
    _end_pattern: re.Pattern[str] | None = field(init=False, compare=False, repr=False)
    """`end_tokens` as one alternation, in their order: one search finds the first of them."""
    _layouts: dict[Any, str | None] = field(default_factory=dict, compare=False, repr=False)
    """Marker renderings by conversation shape; see `_marker_layout`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_splicer", Splicer(self.template, local=None if self.splice else False))
        pattern = re.compile("|".join(map(re.escape, self.end_tokens))) if self.end_tokens else None
        object.__setattr__(self, "_end_pattern", pattern)

    def __call__(self, row: Mapping[str, Any]) -> list[Encoded]:
        return [encode_spans(self.tokenizer, s.text, s.trained, add_special_tokens=False) for s in self.texts(row)]

    def texts(self, row: Mapping[str, Any]) -> list[TextSample]:
        """The conversation rendered, before tokenizing, with the character spans to train."""
        messages = self.reader.read(row)
        tools = read_tools(row, self.field_tools)
        if not self.train_on_inputs:
            self._refuse_empty_targets(messages)
        spliced = self._splice(messages, tools)
        if spliced is not None:
            text, spans = spliced
        else:
            text = self.render(messages, generation_prompt=False, tools=tools)
            spans = self.locate(messages, text, tools)
        trained = [(0, len(text))] if self.train_on_inputs else self.trained_spans(messages, text, spans)
        return [TextSample(text, tuple(trained), add_special_tokens=False)]

    def _refuse_empty_targets(self, messages: Sequence[Mapping[str, str]]) -> None:
        """An empty trained turn teaches the model to answer with nothing (only its end-of-turn token is trained)."""
        for index, message in enumerate(messages):
            if message["role"] in self.roles_to_train and not str(message["content"]).strip():
                raise RowProblem(
                    "empty_target", f"message {index} ({message['role']}) is empty, so there is no answer to learn"
                )

    def _splice(
        self, messages: Sequence[Mapping[str, str]], tools: list[Any] | None
    ) -> tuple[str, list[tuple[int, int]]] | None:
        """The rendering and content spans from the shape's pieces, or None when Jinja must render this row."""

        def render(probe: list[dict[str, Any]]) -> str:
            return self.render(probe, generation_prompt=False, tools=tools)

        return self._splicer.render(messages, tools, render)

    def render(
        self, messages: Sequence[Mapping[str, str]], *, generation_prompt: bool, tools: list[Any] | None = None
    ) -> str:
        """The template applied to `messages`; a template error drops the row with the template's message, and a
        template out of its time or output budget stops the run (TemplateBudgetError): every row would do the same."""

        def apply() -> str:
            return self.tokenizer.apply_chat_template(
                list(messages),
                tools=tools,
                chat_template=self.template,
                tokenize=False,
                add_generation_prompt=generation_prompt,
            )

        try:
            return render_within_budget(apply, self.template_name)
        except TemplateBudgetError:
            raise
        except Exception as err:  # Jinja raises many types, including the template's own raise_exception.
            raise RowProblem("template_error", f"the chat template failed: {err}") from err

    def locate(
        self, messages: Sequence[Mapping[str, str]], text: str, tools: list[Any] | None = None
    ) -> list[tuple[int, int]]:
        """Character span of each message's content in `text`, in order.

        First by one more rendering with a marker in place of each content (exact, two renders a row); when the
        template treats the content itself (trims, edits or repeats it) that rendering does not rebuild `text`,
        and each content is searched after the rendering of the conversation before it (one render a message).
        """
        marked = self._locate_by_markers(messages, text, tools)
        return marked if marked is not None else self._locate_by_search(messages, text, tools)

    def _locate_by_search(
        self, messages: Sequence[Mapping[str, str]], text: str, tools: list[Any] | None
    ) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        cursor = 0
        for i, message in enumerate(messages):
            start = max(cursor, self._prefix_length(messages, i, text, tools))
            spans.append(_find_content(message["content"], text, start, i))
            cursor = spans[-1][1]
        return spans

    def _locate_by_markers(
        self, messages: Sequence[Mapping[str, str]], text: str, tools: list[Any] | None
    ) -> list[tuple[int, int]] | None:
        """Spans from a rendering with markers for the contents, if putting the contents back rebuilds `text`."""
        markers = [f"{_MARK_OPEN}{i}{_MARK_CLOSE}" for i in range(len(messages))]
        if any(_MARK_OPEN in str(m.get("content", "")) for m in messages):
            return None
        layout = self._marker_layout(messages, markers, tools)
        if layout is None:
            return None
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        cursor = offset = 0
        for message, marker in zip(messages, markers, strict=True):
            found = layout.find(marker, cursor)
            if found < 0:
                return None
            parts += [layout[cursor:found], message["content"]]
            offset += found - cursor
            spans.append((offset, offset + len(message["content"])))
            offset += len(message["content"])
            cursor = found + len(marker)
        parts.append(layout[cursor:])
        return spans if "".join(parts) == text else None

    def _marker_layout(
        self, messages: Sequence[Mapping[str, str]], markers: list[str], tools: list[Any] | None
    ) -> str | None:
        """The rendering with markers for contents, cached per shape (roles and other keys, contents aside).

        Reusing it is safe: a layout only counts when putting this row's contents back rebuilds this row's text.
        """
        try:
            shape: Any = shape_of(messages, tools)
            hash(shape)
        except TypeError:
            shape = None
        if shape is not None and shape in self._layouts:
            return self._layouts[shape]
        try:
            layout: str | None = self.render(
                [{**m, "content": marker} for m, marker in zip(messages, markers, strict=True)],
                generation_prompt=False,
                tools=tools,
            )
        except RowProblem:
            layout = None
        if shape is not None and len(self._layouts) < _MAX_LAYOUTS:
            self._layouts[shape] = layout
        return layout

    def _prefix_length(self, messages: Sequence[Mapping[str, str]], i: int, text: str, tools: list[Any] | None) -> int:
        """Length of the rendering before message i, or 0 when the template does not render prefixes.

        Templates that are not prefix-stable (e.g. they add a date, or edit earlier turns) fall back
        to a plain in-order search, which is still correct for ordinary content.
        """
        if i == 0:
            return 0
        try:
            prefix = self.render(messages[:i], generation_prompt=messages[i]["role"] == "assistant", tools=tools)
        except RowProblem:
            return 0
        return len(prefix) if text.startswith(prefix) else 0

    def trained_spans(
        self, messages: Sequence[Mapping[str, str]], text: str, spans: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """Content spans of trained turns, each extended over its end-of-turn token as train_on_eos says."""
        trained_idx = [i for i, m in enumerate(messages) if m["role"] in self.roles_to_train]
        result: list[tuple[int, int]] = []
        for i, (start, end) in enumerate(spans):
            is_trained = i in trained_idx
            if is_trained:
                result.append((start, end))
            if self._trains_eos(i, is_trained, trained_idx):
                limit = spans[i + 1][0] if i + 1 < len(spans) else len(text)
                eot = self._end_of_turn(text, end, limit)
                if eot:
                    result.append(eot)
        return result

    def _trains_eos(self, i: int, is_trained: bool, trained_idx: Sequence[int]) -> bool:
        if self.train_on_eos == "all":
            return True
        if self.train_on_eos == "turn":
            return is_trained
        if self.train_on_eos == "last":
            return bool(trained_idx) and i == trained_idx[-1]
        return False

    def _end_of_turn(self, text: str, start: int, limit: int) -> tuple[int, int] | None:
        """The first special token (e.g. <|im_end|>, <|eot_id|>) between a turn's content and the next one.

        Where two start at the same place, the one listed first in `end_tokens` wins (the alternation's order).
        """
        found = self._end_pattern.search(text, start, limit) if self._end_pattern is not None else None
        return found.span() if found else None


def _find_content(content: str, text: str, start: int, index: int) -> tuple[int, int]:
    """Where `content` appears in `text` at or after `start`; templates that trim content are handled."""
    for needle in (content, content.strip()):
        if not needle:
            return (start, start)
        pos = text.find(needle, start)
        if pos >= 0:
            return (pos, pos + len(needle))
    raise RowProblem("template_error", f"message {index}'s content is not in the rendered text (template edits it)")


def special_token_texts(tokenizer: Any) -> tuple[str, ...]:
    """Every special token string of the tokenizer: the candidates for a turn's end marker."""
    tokens = set(getattr(tokenizer, "all_special_tokens", []) or [])
    decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    tokens.update(t.content for t in decoder.values() if getattr(t, "special", False))
    return tuple(sorted(t for t in tokens if t))
