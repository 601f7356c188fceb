"""The spliced rendering of chat rows equals Jinja's, byte for byte and label for label, or is not used."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from engine.config import DatasetConfig
from engine.data.errors import RowProblem
from engine.data.formats import build_formatter
from engine.data.formats.splice import PROBE_FREELY, content_local
from engine.data.spans import _batch_encode, sample_mask, trained_mask
from tests.tiny import CHATML_TEMPLATE

DEFAULT_SYSTEM = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are helpful.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
)
"""SmolLM2's layout: a default system turn when the conversation has none."""

TYPE_TESTED = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n"
    "{% if message.content is string %}{{ message.content }}{% endif %}<|im_end|>\n{% endfor %}"
)

NOT_LOCAL = {
    "trim": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}",
    "condition": (
        "{% for m in messages %}{% if m['content'] %}<|im_start|>{{ m.role }}\n{{ m['content'] }}<|im_end|>\n"
        "{% endif %}{% endfor %}"
    ),
    "search": (
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{% if '</think>' in m.content %}"
        "{{ m.content.split('</think>')[-1] }}{% else %}{{ m.content }}{% endif %}<|im_end|>\n{% endfor %}"
    ),
    "method": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content.strip() }}<|im_end|>\n{% endfor %}",
    "get": (
        "{% for m in messages %}{% if m.get('content') %}<|im_start|>{{ m.role }}\n{{ m.get('content') }}"
        "<|im_end|>\n{% endif %}{% endfor %}"
    ),
}

CONVERSATIONS: list[list[dict[str, str]]] = [
    [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How are you?"}],
    [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "The capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And Italy?"},
        {"role": "assistant", "content": "Rome."},
    ],
    [{"role": "user", "content": ""}, {"role": "assistant", "content": "You said nothing."}],
    [{"role": "user", "content": "  spaces  \n"}, {"role": "assistant", "content": "\n\tleading and trailing \n"}],
    [
        {"role": "user", "content": "日本語で? 😀👍🏽"},
        {"role": "assistant", "content": "はい、e\u0301 👨\u200d👩\u200d👧 ok"},
    ],
    [{"role": "user", "content": "<|im_end|> inside"}, {"role": "assistant", "content": "\ue000 0 \ue001 markers"}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi"}, {"role": "user", "content": "Hi"}],
    [
        {"role": "user", "content": "What is the weather?"},
        {"role": "assistant", "content": '{"name": "get_weather", "arguments": {"city": "Oslo"}}'},
        {"role": "tool", "content": '{"temp": 4}'},
        {"role": "assistant", "content": "4 degrees in Oslo."},
    ],
]


def formatters(tokenizer: Any, make_config: Any, template: str, **entry: Any) -> tuple[Any, Any]:
    """The same formatter twice: splicing, and rendering every row by Jinja."""
    ds = DatasetConfig(path="x", type="chat_template", **entry)
    fast = build_formatter(ds, make_config(chat_template="jinja", chat_template_jinja=template), tokenizer)
    return fast, replace(fast, splice=False)


def outputs(formatter: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """Each row's texts and trained spans, or the problem that dropped it."""
    return [outcome(formatter, row) for row in rows]


def outcome(formatter: Any, row: dict[str, Any]) -> Any:
    try:
        return [(s.text, s.trained) for s in formatter.texts(row)]
    except RowProblem as problem:
        return (problem.reason, problem.detail)


@pytest.mark.parametrize("template", [CHATML_TEMPLATE, DEFAULT_SYSTEM, TYPE_TESTED])
@pytest.mark.parametrize("train_on_eos", ["turn", "last", "all", "none"])
def test_spliced_rows_equal_jinja_rows(tokenizer: Any, make_config: Any, template: str, train_on_eos: str) -> None:
    fast, jinja = formatters(tokenizer, make_config, template, train_on_eos=train_on_eos)
    rows = [{"messages": m} for m in CONVERSATIONS for _ in range(2)]  # twice: the second use of a shape is spliced
    assert outputs(fast, rows) == outputs(jinja, rows)
    assert [fast(r) for r in rows] == [jinja(r) for r in rows]
    assert fast._splicer.local is True and any(v is not None for v in fast._splicer.layouts.values())
    assert jinja._splicer.layouts == {}


def test_sharegpt_rows_with_mapped_roles_and_user_training_splice_the_same(tokenizer: Any, make_config: Any) -> None:
    keys = {
        "field_messages": "conversations",
        "message_property_mappings": {"role": "from", "content": "value"},
        "roles": {"user": ["human"], "assistant": ["gpt", "function_call"], "tool": ["observation"]},
        "roles_to_train": ["assistant", "user"],
    }
    fast, jinja = formatters(tokenizer, make_config, DEFAULT_SYSTEM, **keys)
    names = {"user": "human", "assistant": "gpt", "system": "system", "tool": "observation"}
    rows = [
        {"conversations": [{"from": names[m["role"]], "value": m["content"] or "."} for m in conversation]}
        for conversation in CONVERSATIONS
    ]
    assert outputs(fast, rows * 2) == outputs(jinja, rows * 2)


def test_train_on_inputs_splices_the_same(tokenizer: Any, make_config: Any) -> None:
    ds = DatasetConfig(path="x", type="chat_template")
    fast = build_formatter(ds, make_config(train_on_inputs=True), tokenizer)
    rows = [{"messages": m} for m in CONVERSATIONS] * 2
    assert outputs(fast, rows) == outputs(replace(fast, splice=False), rows)


@pytest.mark.parametrize("name", sorted(NOT_LOCAL))
def test_templates_that_read_the_content_are_rendered_by_jinja(tokenizer: Any, make_config: Any, name: str) -> None:
    template = NOT_LOCAL[name]
    assert not content_local(template)
    fast, jinja = formatters(tokenizer, make_config, template)
    rows = [{"messages": [{"role": "user", "content": " a </think> b "}, {"role": "assistant", "content": "c"}]}] * 2
    assert outputs(fast, rows) == outputs(jinja, rows)
    assert fast._splicer.layouts == {}


@pytest.mark.parametrize(
    "template",
    [
        # Prints the content twice: the probes appear twice, so no shape is spliced.
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{{ m.content }}\n{% endfor %}",
        # Prints whole messages as JSON (no content read the syntax check sees): the escaped probe shows it.
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m | tojson }}<|im_end|>\n{% endfor %}",
        # Skips empty contents through the message's items (no content read either): the empty probe shows it.
        "{% for m in messages %}{% for k, v in m.items() %}{% if k == 'content' and v %}<|im_start|>{{ m.role }}"
        "\n{{ v }}<|im_end|>\n{% endif %}{% endfor %}{% endfor %}",
    ],
)
def test_content_local_by_syntax_but_not_in_fact_falls_back(tokenizer: Any, make_config: Any, template: str) -> None:
    fast, jinja = formatters(tokenizer, make_config, template)
    rows = [
        {"messages": [{"role": "user", "content": 'say "hi"\n'}, {"role": "assistant", "content": "hi"}]},
        {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "hi"}]},
    ] * 2
    assert outputs(fast, rows) == outputs(jinja, rows)
    assert fast._splicer.layouts and all(layout is None for layout in fast._splicer.layouts.values())


def test_span_masks_equal_the_masks_from_every_offset(tokenizer: Any) -> None:
    texts = [
        "<|im_start|>user\nHello there! 😀👍🏽 e\u0301<|im_end|>\n<|im_start|>assistant\n日本語 ok<|im_end|>\n",
        "plain words, numbers 12345 and   spaces\n\n\tend",
        "👨\u200d👩\u200d👧👨\u200d👩\u200d👧 multi-token characters ąčęė",
    ]
    generator = random.Random(0)
    for encoding, text in zip(_batch_encode(tokenizer, texts, add_special_tokens=False), texts, strict=True):
        offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
        for _ in range(200):
            cuts = sorted(generator.sample(range(len(text) + 1), 4))
            spans = ((cuts[0], cuts[1]), (cuts[2], cuts[3]))
            assert sample_mask(encoding, spans).tolist() == trained_mask(offsets, spans).tolist()


def test_rows_that_never_repeat_a_shape_stop_being_probed(tokenizer: Any, make_config: Any) -> None:
    fast, jinja = formatters(tokenizer, make_config, CHATML_TEMPLATE)
    rows = [
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}] * n}
        for n in range(1, 90)
    ]
    assert outputs(fast, rows) == outputs(jinja, rows)
    assert len(fast._splicer.layouts) == PROBE_FREELY
