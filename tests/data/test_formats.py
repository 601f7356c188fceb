"""Row formats: what gets tokenized, and exactly which tokens carry labels."""

from __future__ import annotations

from typing import Any

import pytest

from engine.config import DatasetConfig
from engine.data.errors import FatalRowProblem, RowProblem
from engine.data.formats import build_formatter
from engine.data.spans import IGNORE_INDEX

CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "Paris."},
    {"role": "user", "content": "And of Italy? Say assistant."},
    {"role": "assistant", "content": "Rome, assistant."},
]


def trained_runs(tokenizer: Any, ids: list[int], labels: list[int]) -> list[str]:
    """Decoded text of each contiguous run of trained tokens."""
    runs, current = [], []
    for token, label in zip(ids, labels, strict=True):
        if label != IGNORE_INDEX:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [tokenizer.decode(run) for run in runs]


def encode(tokenizer: Any, row: dict[str, Any], cfg: Any, **entry: Any) -> tuple[list[int], list[int]]:
    [sample] = build_formatter(DatasetConfig(path="x", **entry), cfg, tokenizer)(row)
    return sample


def test_alpaca_trains_only_output_and_eos(tokenizer: Any, make_config: Any) -> None:
    row = {"instruction": "Give three tips.", "input": "", "output": "Eat, sleep, move."}
    ids, labels = encode(tokenizer, row, make_config(), type="alpaca")
    assert trained_runs(tokenizer, ids, labels) == ["Eat, sleep, move.<|im_end|>"]
    assert "### Instruction:\nGive three tips." in tokenizer.decode(ids)
    assert "### Input:" not in tokenizer.decode(ids)


def test_alpaca_with_input_and_train_on_inputs(tokenizer: Any, make_config: Any) -> None:
    row = {"instruction": "Add.", "input": "2 and 2", "output": "4"}
    ids, labels = encode(tokenizer, row, make_config(train_on_inputs=True), type="alpaca")
    assert "### Input:\n2 and 2" in tokenizer.decode(ids)
    assert labels[0] == IGNORE_INDEX and labels[1:] == ids[1:]


def test_alpaca_custom_fields_and_format(tokenizer: Any, make_config: Any) -> None:
    row = {"q": "Capital of France?", "a": "Paris"}
    mapping = {"field_instruction": "q", "field_output": "a", "format": "Q: {instruction}\nA: "}
    ids, labels = encode(tokenizer, row, make_config(), type=mapping)
    assert tokenizer.decode(ids) == "Q: Capital of France?\nA: Paris<|im_end|>"
    assert trained_runs(tokenizer, ids, labels) == ["Paris<|im_end|>"]


def test_chat_multi_turn_trains_exactly_the_assistant_contents(tokenizer: Any, make_config: Any) -> None:
    """Assistant replies that repeat words of the template ('assistant') are still located correctly."""
    ids, labels = encode(tokenizer, {"messages": CHAT}, make_config(), type="chat_template")
    assert tokenizer.decode(ids) == tokenizer.apply_chat_template(CHAT, tokenize=False)
    assert trained_runs(tokenizer, ids, labels) == ["Paris.<|im_end|>", "Rome, assistant.<|im_end|>"]


@pytest.mark.parametrize(
    ("train_on_eos", "expected"),
    [
        ("none", ["Paris.", "Rome, assistant."]),
        ("last", ["Paris.", "Rome, assistant.<|im_end|>"]),
        ("all", ["<|im_end|>", "<|im_end|>", "Paris.<|im_end|>", "<|im_end|>", "Rome, assistant.<|im_end|>"]),
    ],
)
def test_train_on_eos(tokenizer: Any, make_config: Any, train_on_eos: str, expected: list[str]) -> None:
    row = {"messages": CHAT}
    ids, labels = encode(tokenizer, row, make_config(), type="chat_template", train_on_eos=train_on_eos)
    assert trained_runs(tokenizer, ids, labels) == expected


def test_roles_to_train_includes_user(tokenizer: Any, make_config: Any) -> None:
    row = {"messages": CHAT[1:3]}
    ids, labels = encode(tokenizer, row, make_config(), type="chat_template", roles_to_train=["user", "assistant"])
    assert trained_runs(tokenizer, ids, labels) == ["What is the capital of France?<|im_end|>", "Paris.<|im_end|>"]


def test_sharegpt_rows_with_role_mapping(tokenizer: Any, make_config: Any) -> None:
    row = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "bot", "value": "Hello!"}]}
    ids, labels = encode(
        tokenizer,
        row,
        make_config(),
        type="chat_template",
        message_property_mappings={"role": "from", "content": "value"},
        roles={"assistant": ["bot"]},
    )
    assert tokenizer.decode(ids) == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
    assert trained_runs(tokenizer, ids, labels) == ["Hello!<|im_end|>"]


def test_unknown_role_is_fatal_and_named(tokenizer: Any, make_config: Any) -> None:
    row = {"messages": [{"role": "narrator", "content": "Once"}, {"role": "assistant", "content": "upon"}]}
    with pytest.raises(FatalRowProblem, match=r"'narrator'.*roles"):
        encode(tokenizer, row, make_config(), type="chat_template")


def test_named_template_overrides_tokenizer_and_llama3_trims(tokenizer: Any, make_config: Any) -> None:
    row = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": " Yo \n"}]}
    tokenizer.add_special_tokens(
        {"additional_special_tokens": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}
    )
    ids, labels = encode(tokenizer, row, make_config(chat_template="llama3"), type="chat_template")
    assert tokenizer.decode(ids).startswith("<|endoftext|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>")
    assert trained_runs(tokenizer, ids, labels) == ["Yo<|eot_id|>"]


def test_malformed_chat_rows_raise_row_problems(tokenizer: Any, make_config: Any) -> None:
    fmt = build_formatter(DatasetConfig(path="x", type="chat_template"), make_config(), tokenizer)
    for row, reason in [
        ({"messages": "hi"}, "malformed"),
        ({"messages": []}, "empty"),
        ({"text": "no messages"}, "missing_field"),
        ({"messages": [{"role": "user", "content": None}]}, "malformed"),
    ]:
        with pytest.raises(RowProblem) as caught:
            fmt(row)
        assert caught.value.reason == reason


def test_completion_splits_long_text_into_chunks(tokenizer: Any, make_config: Any) -> None:
    fmt = build_formatter(DatasetConfig(path="x", type="completion"), make_config(sequence_len=16), tokenizer)
    text = "The quick brown fox jumps over the lazy dog. " * 6
    chunks = fmt({"text": text})
    assert len(chunks) > 1 and all(len(ids) <= 16 for ids, _ in chunks)
    assert tokenizer.decode([t for ids, _ in chunks for t in ids]) == text + "<|im_end|>"
    assert all(labels[1:] == ids[1:] for ids, labels in chunks)


def test_input_output_segments(tokenizer: Any, make_config: Any) -> None:
    row = {"segments": [{"text": "Q: hi\n", "label": False}, {"text": "A: hello<|im_end|>", "label": True}]}
    ids, labels = encode(tokenizer, row, make_config(), type="input_output")
    assert tokenizer.decode(ids) == "Q: hi\nA: hello<|im_end|>"
    assert trained_runs(tokenizer, ids, labels) == ["A: hello<|im_end|>"]


def test_pretokenized_rows(tokenizer: Any, make_config: Any) -> None:
    ids, labels = encode(tokenizer, {"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, make_config())
    assert (ids, labels) == ([5, 6, 7], [-100, 6, 7])
    with pytest.raises(RowProblem, match="labels"):
        encode(tokenizer, {"input_ids": [5, 6, 7], "labels": [1]}, make_config())
