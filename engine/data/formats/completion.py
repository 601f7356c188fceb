"""The `completion` format: raw text, fully trained, split into sequence_len chunks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.data.formats.common import text_field
from engine.data.spans import IGNORE_INDEX, Encoded


@dataclass(frozen=True)
class CompletionFormatter:
    """Encodes `row[field]` (plus EOS) and cuts it into chunks of at most `sequence_len` tokens.

    Long documents are split rather than dropped: for pre-training style data every chunk is useful.
    """

    tokenizer: Any
    sequence_len: int
    field: str = "text"

    def __call__(self, row: Mapping[str, Any]) -> list[Encoded]:
        text = text_field(row, self.field, required=True)
        ids = list(self.tokenizer(text, add_special_tokens=True)["input_ids"])
        eos = getattr(self.tokenizer, "eos_token_id", None)
        if eos is not None and (not ids or ids[-1] != eos):
            ids.append(eos)
        return [_trained(ids[i : i + self.sequence_len]) for i in range(0, len(ids), self.sequence_len)]


def _trained(chunk: list[int]) -> Encoded:
    """Every token is a label, except the first (see `labels_from_mask`)."""
    return chunk, [IGNORE_INDEX, *chunk[1:]]
