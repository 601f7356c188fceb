"""Tokenize a rendered text and label only the character spans that are trained."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.data.errors import DataError

IGNORE_INDEX = -100
"""The label value that PyTorch's cross-entropy (and transformers' loss) skips."""

Encoded = tuple[list[int], list[int]]
"""One tokenized sample: input ids and labels of the same length."""


def encode_spans(tokenizer: Any, text: str, trained: Sequence[tuple[int, int]], *, add_special_tokens: bool) -> Encoded:
    """Token ids for `text`, with labels only on tokens that start inside a trained character span.

    Masking by character offsets (instead of tokenizing pieces separately) keeps the token ids exactly
    those the model sees at inference, even where the tokenizer merges across a prompt/answer seam.
    """
    enc = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    offsets = enc.get("offset_mapping")
    if offsets is None:
        raise DataError("this tokenizer gives no character offsets; a fast (tokenizers-based) one is needed")
    mask = trained_mask(np.asarray(offsets, dtype=np.int64).reshape(-1, 2), trained)
    return ids, labels_from_mask(ids, mask)


def trained_mask(offsets: np.ndarray, trained: Sequence[tuple[int, int]]) -> np.ndarray:
    """True for tokens whose first character lies in a trained span; zero-width (added) tokens are not."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    mask = np.zeros(len(offsets), dtype=bool)
    for lo, hi in trained:
        mask |= (starts >= lo) & (starts < hi)
    return mask & (ends > starts)


def labels_from_mask(ids: Sequence[int], mask: np.ndarray) -> list[int]:
    """Labels equal to the ids where trained, -100 elsewhere, and always -100 at position 0.

    The first label of a sample is never used by a causal LM (labels are shifted by one), except in a
    packed row, where it would make the previous sample's last token predict this sample's first one.
    Masking it here makes packed and unpacked training identical and keeps the statistics exact.
    """
    labels = np.where(mask, np.asarray(ids, dtype=np.int64), IGNORE_INDEX)
    if len(labels):
        labels[0] = IGNORE_INDEX
    return labels.tolist()
