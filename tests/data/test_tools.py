"""Tool-call conversations: ShareGPT roles mapped, the `tools` column handed to the chat template, masks right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.data.errors import DataError, RowProblem
from engine.data.formats.tools import read_tools
from engine.data.prepare import prepare_datasets
from tests.tiny import CHATML_TEMPLATE, tiny_tokenizer

TOOLS_TEMPLATE = (
    "{% if tools %}<|im_start|>system\nYou can call: "
    "{% for tool in tools %}{{ tool['function']['name'] }}({{ tool['function']['parameters'] | tojson }}) "
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
)
"""A small tool-calling template: the tools' names and parameters in a system turn, as models' own templates do."""

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
CLOCK = {"type": "function", "function": {"name": "get_time", "description": "Now.", "parameters": "{}"}}

ROLES = {"user": ["human"], "assistant": ["gpt", "function_call"], "tool": ["observation"]}


def conversation(city: str) -> list[dict[str, str]]:
    return [
        {"from": "human", "value": f"Weather in {city}?"},
        {"from": "function_call", "value": json.dumps({"name": "get_weather", "arguments": {"city": city}})},
        {"from": "observation", "value": json.dumps({"temperature": 4})},
        {"from": "gpt", "value": f"It is 4 degrees in {city}."},
    ]


def write_rows(tmp_path: Path, rows: list[dict[str, Any]]) -> str:
    path = tmp_path / "tool_calls.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def config(make_config: Any, path: str, template: str | None = TOOLS_TEMPLATE, **entry: Any) -> Any:
    dataset = {
        "path": path,
        "type": "chat_template",
        "field_messages": "conversations",
        "message_property_mappings": {"role": "from", "content": "value"},
        "roles": ROLES,
        **entry,
    }
    return make_config(datasets=[dataset], val_set_size=0, chat_template="jinja", chat_template_jinja=template)


def trained_text(tokenizer: Any, ids: list[int], labels: list[int]) -> list[str]:
    """The trained stretches of a sample, decoded."""
    stretches, current = [], []
    for token, label in zip(ids, labels, strict=True):
        if label != -100:
            current.append(token)
        elif current:
            stretches.append(tokenizer.decode(current))
            current = []
    if current:
        stretches.append(tokenizer.decode(current))
    return stretches


@pytest.mark.parametrize("as_string", [True, False])
def test_sharegpt_tool_calls_reach_the_template_and_train_the_calls(
    tmp_path: Path, make_config: Any, as_string: bool
) -> None:
    tokenizer = tiny_tokenizer(TOOLS_TEMPLATE)
    tools = [WEATHER, CLOCK]
    rows = [
        {"conversations": conversation(city), "tools": json.dumps(tools) if as_string else tools}
        for city in ("Oslo", "Lima", "Pune")
    ]
    prepared = prepare_datasets(config(make_config, write_rows(tmp_path, rows)), tokenizer)
    assert prepared.facts.train_rows == 3
    for ids, labels in zip(prepared.train["input_ids"], prepared.train["labels"], strict=True):
        text = tokenizer.decode(ids)
        assert text.startswith('<|im_start|>system\nYou can call: get_weather({"type": "object"')
        assert "get_time({}) " in text  # a parameters JSON string is parsed, as axolotl does
        city = text.split("Weather in ")[1].split("?")[0]
        call = json.dumps({"name": "get_weather", "arguments": {"city": city}})
        assert trained_text(tokenizer, list(ids), list(labels)) == [
            f"{call}<|im_end|>",
            f"It is 4 degrees in {city}.<|im_end|>",
        ]
        assert "<|im_start|>tool\n" + json.dumps({"temperature": 4}) in text


def test_field_tools_names_another_column(tmp_path: Path, make_config: Any) -> None:
    tokenizer = tiny_tokenizer(TOOLS_TEMPLATE)
    rows = [{"conversations": conversation("Oslo"), "functions": json.dumps([WEATHER])}]
    prepared = prepare_datasets(config(make_config, write_rows(tmp_path, rows), field_tools="functions"), tokenizer)
    assert "You can call: get_weather" in tokenizer.decode(prepared.train["input_ids"][0])


def test_rows_without_tools_render_without_the_tools_turn(tmp_path: Path, make_config: Any) -> None:
    tokenizer = tiny_tokenizer(TOOLS_TEMPLATE)
    rows = [{"conversations": conversation("Oslo"), "tools": ""}, {"conversations": conversation("Lima")}]
    prepared = prepare_datasets(config(make_config, write_rows(tmp_path, rows)), tokenizer)
    texts = [tokenizer.decode(ids) for ids in prepared.train["input_ids"]]
    assert len(texts) == 2 and not any("You can call" in text for text in texts)


def test_a_template_that_ignores_tools_is_a_finding_of_the_catalog(tmp_path: Path, make_config: Any) -> None:
    from engine.rules import check_config
    from engine.rules.target import Target

    tokenizer = tiny_tokenizer(CHATML_TEMPLATE)
    rows = [{"conversations": conversation(city), "tools": json.dumps([WEATHER])} for city in ("Oslo", "Lima")]
    cfg = config(make_config, write_rows(tmp_path, rows), template=CHATML_TEMPLATE)
    prepared = prepare_datasets(cfg, tokenizer)
    assert prepared.facts.train_rows == 2
    assert prepared.facts.tools_ignored == ((cfg.datasets[0].path, "tools"),)
    again = prepare_datasets(cfg, tokenizer)  # from the cache: the finding survives it
    assert again.reused_cache and again.facts.tools_ignored == prepared.facts.tools_ignored
    findings = check_config(cfg, Target(device="cpu", bf16=False), data=again.facts, stages=("preflight",))
    (finding,) = [f for f in findings if f.rule_id == "data.tools_ignored_by_template"]
    assert "column 'tools'" in finding.message and "does not render tools" in finding.message


def test_a_template_that_renders_tools_gives_no_finding(tmp_path: Path, make_config: Any) -> None:
    tokenizer = tiny_tokenizer(TOOLS_TEMPLATE)
    rows = [{"conversations": conversation("Oslo"), "tools": json.dumps([WEATHER])}]
    assert prepare_datasets(config(make_config, write_rows(tmp_path, rows)), tokenizer).facts.tools_ignored == ()


def test_unmapped_tool_roles_name_the_roles_setting_that_maps_them(tmp_path: Path, make_config: Any) -> None:
    tokenizer = tiny_tokenizer(TOOLS_TEMPLATE)
    rows = [{"conversations": conversation("Oslo")}]
    with pytest.raises(DataError) as caught:
        prepare_datasets(config(make_config, write_rows(tmp_path, rows), roles=None), tokenizer)
    assert "role 'function_call'" in str(caught.value)
    assert "assistant: [assistant, gpt, model, function_call]" in str(caught.value)
    assert "tool: [tool, observation]" in str(caught.value)


def test_read_tools_accepts_lists_and_json_and_refuses_the_rest() -> None:
    assert read_tools({"tools": [WEATHER]}, "tools") == [WEATHER]
    assert read_tools({"tools": json.dumps([CLOCK])}, "tools") == [
        {**CLOCK, "function": {**CLOCK["function"], "parameters": {}}}
    ]
    assert read_tools({}, "tools") is None and read_tools({"tools": " "}, "tools") is None
    for bad in ("[{", {"name": "x"}, ["x"]):
        with pytest.raises(RowProblem, match="'tools'"):
            read_tools({"tools": bad}, "tools")


def test_spliced_tool_rows_equal_jinja_rows(make_config: Any) -> None:
    from dataclasses import replace

    from engine.config import DatasetConfig
    from engine.data.formats import build_formatter

    tokenizer = tiny_tokenizer(TOOLS_TEMPLATE)
    entry = DatasetConfig(
        path="x",
        type="chat_template",
        field_messages="conversations",
        message_property_mappings={"role": "from", "content": "value"},
        roles=ROLES,
    )
    fast = build_formatter(entry, make_config(chat_template="jinja", chat_template_jinja=TOOLS_TEMPLATE), tokenizer)
    rows = [
        {"conversations": conversation(city), "tools": json.dumps(tools)}
        for city in ("Oslo", "Lima")
        for tools in ([WEATHER], [WEATHER, CLOCK], [])
    ] * 2
    expected = [fast_sample(replace(fast, splice=False), row) for row in rows]
    assert [fast_sample(fast, row) for row in rows] == expected
    assert any(layout is not None for layout in fast._splicer.layouts.values())


def fast_sample(formatter: Any, row: dict[str, Any]) -> list[Any]:
    return [(np.asarray(ids).tolist(), np.asarray(labels).tolist()) for ids, labels in formatter(row)]
