"""Row formatters for each dataset `type`, and the one place that picks a formatter for a config entry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.config.choices import DATASET_TYPES
from engine.data.errors import DataError
from engine.data.formats.alpaca import FORMAT_NO_INPUT, FORMAT_WITH_INPUT, AlpacaFormatter, AlpacaLayout
from engine.data.formats.chat import TRAIN_ON_EOS, ChatFormatter, special_token_texts
from engine.data.formats.common import RowFormatter
from engine.data.formats.completion import CompletionFormatter
from engine.data.formats.detect import detect_format
from engine.data.formats.messages import MessageReader
from engine.data.formats.segments import InputOutputFormatter, PretokenizedFormatter
from engine.data.formats.tools import template_prints_tools
from engine.data.templates import describe_chat_template, resolve_chat_template

if TYPE_CHECKING:
    from engine.config import DatasetConfig, RunConfig

FORMATS = DATASET_TYPES
"""The `type` values the formatters below handle: the config's list, engine/config/choices.py."""

__all__ = ["FORMATS", "RowFormatter", "build_formatter", "detect_format", "format_name", "ignored_tools_column"]


def format_name(ds: DatasetConfig) -> str | None:
    """The entry's format: a custom field mapping counts as alpaca, None means pre-tokenized."""
    kind = ds.type
    if kind is None or isinstance(kind, str):
        return kind or None
    return "alpaca"


def build_formatter(ds: DatasetConfig, cfg: RunConfig, tokenizer: Any) -> RowFormatter:
    """The formatter for one `datasets:` entry, with run-wide settings (sequence_len, masking) applied."""
    kind = format_name(ds)
    if kind is None:
        return PretokenizedFormatter()
    if kind == "alpaca" or kind.startswith("alpaca:"):
        return AlpacaFormatter(tokenizer, alpaca_layout(ds), train_on_inputs=cfg.train_on_inputs)
    if kind in ("chat_template", "sharegpt"):
        return chat_formatter(ds, cfg, tokenizer)
    if kind == "completion":
        return CompletionFormatter(tokenizer, cfg.sequence_len, field=ds.field or "text")
    if kind == "input_output":
        return InputOutputFormatter(tokenizer, train_on_inputs=cfg.train_on_inputs)
    raise DataError(f"dataset '{ds.path}': unknown type '{kind}'; use one of: {', '.join(FORMATS)}")


def alpaca_layout(ds: DatasetConfig) -> AlpacaLayout:
    """Column names and prompt layout from a custom mapping and/or the field_* keys on the entry."""
    mapping = ds.type if not isinstance(ds.type, str) and ds.type is not None else None

    def pick(key: str, default: str | None) -> str | None:
        value = getattr(mapping, key, None) if mapping is not None else None
        return value or getattr(ds, key, None) or default

    fmt = pick("format", FORMAT_WITH_INPUT) or FORMAT_WITH_INPUT
    return AlpacaLayout(
        field_instruction=pick("field_instruction", "instruction") or "instruction",
        field_input=pick("field_input", "input") or "input",
        field_output=pick("field_output", "output") or "output",
        field_system=pick("field_system", None),
        system_prompt=pick("system_prompt", None),
        system_format=pick("system_format", "{system}") or "{system}",
        format=fmt,
        no_input_format=pick("no_input_format", None) or (FORMAT_NO_INPUT if fmt == FORMAT_WITH_INPUT else fmt),
    )


def chat_formatter(ds: DatasetConfig, cfg: RunConfig, tokenizer: Any) -> ChatFormatter:
    """A chat formatter; the entry's own chat_template wins over the run-wide one."""
    template = resolve_chat_template(
        ds.chat_template or cfg.chat_template, ds.chat_template_jinja or cfg.chat_template_jinja, tokenizer
    )
    train_on_eos = ds.train_on_eos or "turn"
    if train_on_eos not in TRAIN_ON_EOS:
        raise DataError(f"dataset '{ds.path}': train_on_eos must be one of {', '.join(TRAIN_ON_EOS)}")
    return ChatFormatter(
        tokenizer=tokenizer,
        template=template,
        reader=message_reader(ds),
        roles_to_train=tuple(ds.roles_to_train or ["assistant"]),
        train_on_eos=train_on_eos,
        train_on_inputs=cfg.train_on_inputs,
        end_tokens=special_token_texts(tokenizer),
        field_tools=ds.field_tools or "tools",
        template_name=describe_chat_template(ds.chat_template or cfg.chat_template),
    )


def message_reader(ds: DatasetConfig) -> MessageReader:
    """Message keys from message_property_mappings (or the deprecated message_field_*), roles as given."""
    mappings = dict(ds.message_property_mappings or {})
    role_key = mappings.get("role") or getattr(ds, "message_field_role", None)
    content_key = mappings.get("content") or getattr(ds, "message_field_content", None)
    if format_name(ds) == "sharegpt":
        role_key, content_key = role_key or "from", content_key or "value"
    return MessageReader(
        field_messages=ds.field_messages,
        role_key=role_key,
        content_key=content_key,
        roles=dict(ds.roles or {}),
        drop_system_message=bool(ds.drop_system_message),
    )


def ignored_tools_column(formatter: RowFormatter, columns: list[str]) -> str | None:
    """The dataset's tools column when its chat template does not render tools (the tool definitions would not be
    in the training text; rule data.tools_ignored_by_template says so), else None."""
    if not isinstance(formatter, ChatFormatter) or formatter.field_tools not in columns:
        return None
    if template_prints_tools(formatter.tokenizer, formatter.template, formatter.template_name):
        return None
    return formatter.field_tools
