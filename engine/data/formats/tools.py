"""Tool definitions of a tool-calling conversation: read from the row, handed to the chat template as `tools`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.data.errors import RowProblem
from engine.data.template_budget import TemplateBudgetError, render_within_budget
from engine.nesting import loads_json

PROBE_TOOL_NAME = "ft_tui_probe_tool"
"""The name of the tool a template is rendered with to see whether it prints tools at all."""


def read_tools(row: Mapping[str, Any], field: str) -> list[Any] | None:
    """The row's tools as a list of JSON schemas; None when the row has none.

    As in axolotl, the column may hold the list itself or a JSON string of it, and a function's `parameters` may be
    a JSON string too (datasets stores tools whose parameters differ between rows that way, to avoid casting them).
    """
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        value = _json(value, f"'{field}' is not valid JSON")
    if not isinstance(value, list) or not all(isinstance(tool, Mapping) for tool in value):
        raise RowProblem("malformed", f"'{field}' is {type(value).__name__}, expected a list of tool schemas")
    return [_parsed_parameters(dict(tool), field) for tool in value]


def _parsed_parameters(tool: dict[str, Any], field: str) -> dict[str, Any]:
    function = tool.get("function")
    if isinstance(function, Mapping) and isinstance(function.get("parameters"), str):
        name = function.get("name", "?")
        parameters = _json(function["parameters"], f"'{field}': the parameters of '{name}' are not valid JSON")
        tool["function"] = {**function, "parameters": parameters}
    return tool


def _json(text: str, problem: str) -> Any:
    try:
        return loads_json(text)
    except json.JSONDecodeError as error:
        raise RowProblem("malformed", f"{problem} ({error.msg} at character {error.pos})") from error


def template_prints_tools(tokenizer: Any, template: str, template_name: str = "`chat_template`") -> bool:
    """Whether the template shows a tool it is given: rendered with a probe tool, the tool's name appears.

    A template without tool support renders the same text with or without `tools`, so the tools in the data would
    not reach the model; the engine says so instead of dropping them silently.
    """
    probe = [{"type": "function", "function": {"name": PROBE_TOOL_NAME, "description": "", "parameters": {}}}]
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]

    def apply() -> str:
        return tokenizer.apply_chat_template(messages, tools=probe, chat_template=template, tokenize=False)

    try:
        text = render_within_budget(apply, template_name)
    except TemplateBudgetError:
        raise
    except Exception:  # a template that refuses this probe still renders real rows; only its errors would say more
        return True
    return PROBE_TOOL_NAME in text
