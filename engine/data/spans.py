"""Tokenize a rendered text and label only the character spans that are trained."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.data.errors import DataError

IGNORE_INDEX = -100
"""The label value that PyTorch's cross-entropy (and transformers' loss) skips."""

Encoded = tuple[list[int], list[int]]
"""One tokenized sample: input ids and labels of the same length."""


@dataclass(frozen=True)
class TextSample:
    """A rendered sample before tokenizing: its text, the character spans that are trained, and whether the
    tokenizer adds its special tokens (BOS/EOS). Formatters produce these so a whole batch is tokenized at once."""

    text: str
    trained: tuple[tuple[int, int], ...]
    add_special_tokens: bool


def encode_spans(tokenizer: Any, text: str, trained: Sequence[tuple[int, int]], *, add_special_tokens: bool) -> Encoded:
    """Token ids for `text`, with labels only on tokens that start inside a trained character span.

    Masking by character offsets (instead of tokenizing pieces separately) keeps the token ids exactly
    those the model sees at inference, even where the tokenizer merges across a prompt/answer seam.
    """
    ids, labels = encode_arrays(tokenizer, [TextSample(text, tuple(trained), add_special_tokens)])[0]
    return ids.tolist(), labels.tolist()


def encode_arrays(tokenizer: Any, samples: Sequence[TextSample]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(input_ids, labels) as int32 arrays for many samples, tokenized in one batch call per special-token setting.

    One call hands the whole batch to the Rust tokenizer (parallel, no per-text Python overhead); masking is
    numpy over each sample's offsets, never a Python loop over tokens.
    """
    results: list[tuple[np.ndarray, np.ndarray]] = [(_EMPTY, _EMPTY)] * len(samples)
    for flag in (False, True):
        chosen = [i for i, sample in enumerate(samples) if sample.add_special_tokens == flag]
        if not chosen:
            continue
        encoded = _batch_encode(tokenizer, [samples[i].text for i in chosen], add_special_tokens=flag)
        for i, (ids, offsets) in zip(chosen, encoded, strict=True):
            id_array = np.asarray(ids, dtype=np.int32)
            mask = trained_mask(np.asarray(offsets, dtype=np.int64).reshape(-1, 2), samples[i].trained)
            results[i] = (id_array, label_array(id_array, mask))
    return results


_EMPTY = np.zeros(0, dtype=np.int32)


def _batch_encode(tokenizer: Any, texts: list[str], *, add_special_tokens: bool) -> list[tuple[list[int], Any]]:
    """Token ids and character offsets of each text.

    The Rust tokenizer is called directly when it would behave exactly as the transformers wrapper does (no
    truncation or padding configured, special tokens not split); otherwise through the wrapper's batch call.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if (
        backend is not None
        and backend.truncation is None
        and backend.padding is None
        and not getattr(backend, "encode_special_tokens", False)
        and not getattr(tokenizer, "split_special_tokens", False)
    ):
        return [(e.ids, e.offsets) for e in backend.encode_batch(texts, add_special_tokens=add_special_tokens)]
    enc = tokenizer(texts, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
    offsets = enc.get("offset_mapping")
    if offsets is None:
        raise DataError("this tokenizer gives no character offsets; a fast (tokenizers-based) one is needed")
    return list(zip(enc["input_ids"], offsets, strict=True))


def trained_mask(offsets: np.ndarray, trained: Sequence[tuple[int, int]]) -> np.ndarray:
    """True for tokens whose first character lies in a trained span; zero-width (added) tokens are not."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    mask = np.zeros(len(offsets), dtype=bool)
    for lo, hi in trained:
        mask |= (starts >= lo) & (starts < hi)
    return mask & (ends > starts)


def labels_from_mask(ids: Sequence[int], mask: np.ndarray) -> list[int]:
    """Labels equal to the ids where trained, -100 elsewhere, and always -100 at position 0 (see `label_array`)."""
    return label_array(np.asarray(ids, dtype=np.int64), mask).tolist()


def label_array(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`labels_from_mask` on arrays, in the ids' dtype.

    The first label of a sample is never used by a causal LM (labels are shifted by one), except in a
    packed row, where it would make the previous sample's last token predict this sample's first one.
    Masking it here makes packed and unpacked training identical and keeps the statistics exact.
    """
    labels = np.where(mask, ids, IGNORE_INDEX).astype(ids.dtype, copy=False)
    if len(labels):
        labels[0] = IGNORE_INDEX
    return labels
