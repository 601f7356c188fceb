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

    One call hands the whole batch to the Rust tokenizer (parallel, no per-text Python overhead); the labels come
    from the token range of each trained span (`span_mask`), never from a Python loop over tokens.
    """
    results: list[tuple[np.ndarray, np.ndarray]] = [(_EMPTY, _EMPTY)] * len(samples)
    for flag in (False, True):
        chosen = [i for i, sample in enumerate(samples) if sample.add_special_tokens == flag]
        if not chosen:
            continue
        encoded = _batch_encode(tokenizer, [samples[i].text for i in chosen], add_special_tokens=flag)
        for i, encoding in zip(chosen, encoded, strict=True):
            id_array = np.asarray(encoding.ids, dtype=np.int32)
            mask = sample_mask(encoding, samples[i].trained, every_offset=flag)
            results[i] = (id_array, label_array(id_array, mask))
    return results


_EMPTY = np.zeros(0, dtype=np.int32)


def _batch_encode(tokenizer: Any, texts: list[str], *, add_special_tokens: bool) -> list[Any]:
    """The `tokenizers.Encoding` of each text (ids and character offsets).

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
        return list(backend.encode_batch(texts, add_special_tokens=add_special_tokens))
    encodings = getattr(tokenizer(texts, add_special_tokens=add_special_tokens), "encodings", None)
    if encodings is None:
        raise DataError("this tokenizer gives no character offsets; a fast (tokenizers-based) one is needed")
    return list(encodings)


def sample_mask(encoding: Any, trained: Sequence[tuple[int, int]], *, every_offset: bool = False) -> np.ndarray:
    """`trained_mask` of one encoding, from a few offset look-ups per span instead of every token's offsets.

    Reading all offsets (a Python tuple per token) cost as much as half the tokenizing itself. Token starts never
    decrease along an encoding, so the tokens starting inside a span are one index range, found from the tokens
    at its first and last character. Where a look-up finds no token (a character the tokenizer dropped), or the
    encoding may have zero-width tokens (`every_offset`: the tokenizer added BOS/EOS), every offset is read.
    """
    if every_offset:
        return trained_mask(np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2), trained)
    count = len(encoding)
    mask = np.zeros(count, dtype=bool)
    for lo, hi in trained:
        if hi <= lo:
            continue
        bounds = _token_range(encoding, lo, hi, count)
        if bounds is None:
            return trained_mask(np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2), trained)
        mask[bounds[0] : bounds[1]] = True
    return mask


def _token_range(encoding: Any, lo: int, hi: int, count: int) -> tuple[int, int] | None:
    """[first, end) of the tokens whose first character is in [lo, hi); None when a character has no token."""
    first, last = encoding.char_to_token(lo), encoding.char_to_token(hi - 1)
    if first is None or last is None:
        return None

    def start(token: int) -> int:
        return int(encoding.token_to_chars(token)[0])

    while first > 0 and start(first - 1) >= lo:
        first -= 1
    while first < count and start(first) < lo:
        first += 1
    while last + 1 < count and start(last + 1) < hi:
        last += 1
    while last >= 0 and start(last) >= hi:
        last -= 1
    return first, max(first, last + 1)


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
