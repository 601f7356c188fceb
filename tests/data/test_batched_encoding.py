"""Batched encoding gives exactly the samples the row-by-row formatters give, problems and all."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.config import DatasetConfig
from engine.data.encode import BatchEncoder, LengthPolicy
from engine.data.formats import build_formatter
from engine.data.spans import TextSample, encode_arrays, encode_spans

CHATS = [
    {"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How are you?"}]},
    {"messages": [{"role": "user", "content": "assistant"}, {"role": "assistant", "content": "user assistant"}]},
    {"messages": [{"role": "wizard", "content": "?"}, {"role": "assistant", "content": "x"}]},
    {"messages": "not a list"},
    {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "The capital of France?"},
            {"role": "assistant", "content": "Paris."},
            {"role": "user", "content": "And Italy?"},
            {"role": "assistant", "content": "Rome."},
        ]
    },
]


def row_by_row(formatter: Any, policy: LengthPolicy, rows: list[dict[str, Any]]) -> list[Any]:
    encoder = BatchEncoder(formatter, policy)
    return [result for row in rows for result in encoder._encode_row(row)]


def as_lists(results: list[Any]) -> list[Any]:
    return [
        (np.asarray(ids).tolist(), np.asarray(labels).tolist(), getattr(problem, "reason", None), truncated)
        for (ids, labels), problem, truncated in results
    ]


def test_batch_of_chats_matches_row_by_row(tokenizer: Any, make_config: Any) -> None:
    formatter = build_formatter(DatasetConfig(path="x", type="chat_template"), make_config(), tokenizer)
    policy = LengthPolicy(sequence_len=40, strategy="truncate")
    batched = [result for results in BatchEncoder(formatter, policy)._encode_batch(CHATS) for result in results]
    assert as_lists(batched) == as_lists(row_by_row(formatter, policy, CHATS))
    out = BatchEncoder(formatter, policy)({"messages": [r["messages"] for r in CHATS]}, list(range(len(CHATS))))
    out = out.to_pydict()
    assert out["problem"] == ["", "", "fatal:unknown_role", "malformed", ""]
    assert out["truncated"] == [False, False, False, False, True]
    assert out["length"][4] == 40 and out["trained"][0] == int(np.sum(np.asarray(out["labels"][0]) != -100))


def test_markers_find_the_same_spans_as_the_prefix_search(tokenizer: Any, make_config: Any) -> None:
    formatter = build_formatter(DatasetConfig(path="x", type="chat_template"), make_config(), tokenizer)
    messages = CHATS[4]["messages"]
    text = formatter.render(messages, generation_prompt=False)
    by_markers = formatter._locate_by_markers(messages, text, None)
    assert by_markers is not None
    assert by_markers == formatter._locate_by_search(messages, text, None)
    assert [text[a:b] for a, b in by_markers] == [m["content"] for m in messages]


def test_a_template_that_trims_content_falls_back_to_the_search_even_with_a_cached_layout(
    tokenizer: Any, make_config: Any
) -> None:
    tokenizer.add_special_tokens(
        {"additional_special_tokens": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}
    )
    formatter = build_formatter(
        DatasetConfig(path="x", type="chat_template"), make_config(chat_template="llama3"), tokenizer
    )
    clean = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]
    clean_text = formatter.render(clean, generation_prompt=False)
    assert formatter._locate_by_markers(clean, clean_text, None) is not None  # caches the layout of this shape
    messages = [{"role": "user", "content": " Hi "}, {"role": "assistant", "content": " Yo \n"}]
    text = formatter.render(messages, generation_prompt=False)
    assert formatter._locate_by_markers(messages, text, None) is None
    assert [text[a:b] for a, b in formatter.locate(messages, text)] == ["Hi", "Yo"]


def test_encode_arrays_matches_encode_spans_with_and_without_special_tokens(tokenizer: Any) -> None:
    samples = [
        TextSample("Hello there! How are you today?", ((6, 12),), add_special_tokens=True),
        TextSample("The quick brown fox.", ((0, 20),), add_special_tokens=False),
        TextSample("", (), add_special_tokens=False),
    ]
    arrays = encode_arrays(tokenizer, samples)
    for sample, (ids, labels) in zip(samples, arrays, strict=True):
        expected = encode_spans(tokenizer, sample.text, sample.trained, add_special_tokens=sample.add_special_tokens)
        assert (ids.tolist(), labels.tolist()) == expected
        assert ids.dtype == np.int32
