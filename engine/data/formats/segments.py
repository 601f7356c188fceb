"""The `input_output` format (segments with a trained flag) and pre-tokenized rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.data.errors import RowProblem
from engine.data.spans import IGNORE_INDEX, Encoded


@dataclass(frozen=True)
class InputOutputFormatter:
    """Encodes `segments: [{text, label}]`; each segment is tokenized alone, so its tokens are exact.

    Template-free data exists to control every token, so segments are not merged across seams; the
    tokenizer's BOS (if it adds one) is put in front, and EOS must be written in the text by the user.
    """

    tokenizer: Any
    train_on_inputs: bool = False

    def __call__(self, row: Mapping[str, Any]) -> list[Encoded]:
        segments = row.get("segments")
        if not isinstance(segments, list) or not segments:
            raise RowProblem("malformed", "'segments' must be a non-empty list of {text, label}")
        ids: list[int] = _bos(self.tokenizer)
        labels: list[int] = [IGNORE_INDEX] * len(ids)
        for i, segment in enumerate(segments):
            seg_ids, trained = self._segment(i, segment)
            ids += seg_ids
            labels += seg_ids if trained or self.train_on_inputs else [IGNORE_INDEX] * len(seg_ids)
        if labels:
            labels[0] = IGNORE_INDEX
        return [(ids, labels)]

    def _segment(self, i: int, segment: Any) -> tuple[list[int], bool]:
        if not isinstance(segment, Mapping) or not isinstance(segment.get("text"), str):
            raise RowProblem("malformed", f"segment {i} must be an object with a 'text' string")
        trained = segment.get("label", True)
        if not isinstance(trained, bool):
            raise RowProblem("malformed", f"segment {i}'s 'label' must be true or false")
        return list(self.tokenizer(segment["text"], add_special_tokens=False)["input_ids"]), trained


def _bos(tokenizer: Any) -> list[int]:
    """[BOS] when the tokenizer puts one in front of a plain encoding, else []."""
    bos = getattr(tokenizer, "bos_token_id", None)
    if bos is None:
        return []
    probe = tokenizer("a", add_special_tokens=True)["input_ids"]
    return [bos] if probe and probe[0] == bos else []


@dataclass(frozen=True)
class PretokenizedFormatter:
    """Passes `input_ids` (and `labels`, default: all trained) through after checking them."""

    def __call__(self, row: Mapping[str, Any]) -> list[Encoded]:
        ids = _int_list(row, "input_ids")
        if not ids:
            raise RowProblem("empty", "'input_ids' is empty")
        labels = _int_list(row, "labels") if row.get("labels") is not None else list(ids)
        if len(labels) != len(ids):
            raise RowProblem("malformed", f"'labels' has {len(labels)} items but 'input_ids' has {len(ids)}")
        return [(ids, [IGNORE_INDEX, *labels[1:]])]


def _int_list(row: Mapping[str, Any], key: str) -> list[int]:
    value = row.get(key)
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise RowProblem("malformed", f"'{key}' must be a list of integers")
    return value
