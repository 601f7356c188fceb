"""One entry of `datasets:`: where the rows live and how to read them (axolotl's keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from engine.config.base import StrictModel

_CHAT_KEYS = (
    "field_messages",
    "field_tools",
    "message_property_mappings",
    "message_field_role",
    "message_field_content",
    "roles",
    "roles_to_train",
    "train_on_eos",
    "chat_template",
    "chat_template_jinja",
    "drop_system_message",
)
FORMAT_KEYS: dict[str | None, tuple[str, ...]] = {
    "alpaca": ("field_instruction", "field_input", "field_output", "field_system"),
    "chat_template": _CHAT_KEYS,
    "sharegpt": _CHAT_KEYS,
    "completion": ("field",),
    "input_output": (),
    None: (),
}
"""The entry keys only one family of formats reads (None: pre-tokenized); every other key applies to all."""


def keys_foreign_to(kind: str | None) -> tuple[str, ...]:
    """Entry keys that belong to other formats than `kind`: what to drop when an entry changes format."""
    own = set(FORMAT_KEYS.get(kind, ()))
    every = dict.fromkeys(key for keys in FORMAT_KEYS.values() for key in keys)
    return tuple(key for key in every if key not in own)


class AlpacaFieldMapping(StrictModel):
    """A custom alpaca-style prompt: which columns hold which part, and how the prompt is laid out."""

    field_instruction: str | None = None
    """Column with the instruction (default `instruction`)."""
    field_input: str | None = None
    """Column with the optional extra input (default `input`)."""
    field_output: str | None = None
    """Column with the answer the model learns to write (default `output`)."""
    field_system: str | None = None
    """Column with a per-row system prompt, if any."""
    system_prompt: str | None = None
    """A system prompt used for every row."""
    system_format: str | None = None
    """How the system prompt is laid out, with `{system}` as the placeholder."""
    format: str | None = None
    """Prompt layout for rows with an input, using `{instruction}` and `{input}`."""
    no_input_format: str | None = None
    """Prompt layout for rows without an input, using `{instruction}`."""


class DatasetConfig(StrictModel):
    """A dataset to train on. Several entries are merged and shuffled with `seed`.

    Keys of axolotl's dataset entries that ft-tui does not model are kept as extra values; the loader admits
    only those in axolotl's catalogue.
    """

    model_config = ConfigDict(extra="allow")

    path: str
    """A local file or folder (.json, .jsonl, .csv, .parquet, .txt) or a Hugging Face hub id."""
    type: str | AlpacaFieldMapping | None = None
    """The row format: alpaca, chat_template, completion or input_output; empty for pre-tokenized rows
    (`input_ids`, `labels`). A mapping defines a custom alpaca-style layout."""
    split: str = "train"
    """Which split to read; local files have only `train`."""
    data_files: str | list[str] | None = None
    """Specific files inside `path` (a folder or hub repository) to read."""
    name: str | None = None
    """The dataset configuration name, for hub datasets that have several."""
    ds_type: Literal["json", "csv", "parquet", "text", "arrow"] | None = None
    """The file format when it cannot be told from the file name."""
    revision: str | None = None
    """A hub revision (branch, tag or commit) to read."""
    trust_remote_code: bool | None = None
    """Run a hub dataset's own loading script. Only for datasets you trust."""
    shards: int | None = Field(default=None, ge=1)
    """Split the dataset into this many shards and keep one (for quick trials)."""
    field: str | None = None
    """For `completion`: the column holding the raw text (default `text`)."""
    field_instruction: str | None = None
    """For alpaca: the instruction column, when it is not called `instruction`."""
    field_input: str | None = None
    """For alpaca: the input column, when it is not called `input`."""
    field_output: str | None = None
    """For alpaca: the answer column, when it is not called `output`."""
    field_system: str | None = None
    """For alpaca: a per-row system prompt column."""
    field_messages: str | None = None
    """For chat_template: the column with the list of messages (default: `messages`, else `conversations`)."""
    field_tools: str | None = None
    """For chat_template: the column with each row's tool definitions (default `tools`): a list of JSON schemas or
    a JSON string of one, passed to the chat template as `tools`."""
    message_property_mappings: dict[str, str] | None = None
    """For chat_template: which keys of a message hold its role and content, e.g. `{role: from, content:
    value}` for ShareGPT-style rows."""
    message_field_role: str | None = None
    """Deprecated spelling of `message_property_mappings.role`."""
    message_field_content: str | None = None
    """Deprecated spelling of `message_property_mappings.content`."""
    roles: dict[str, list[str]] | None = None
    """For chat_template: the names the dataset uses for each of the template's roles (user, assistant, system,
    tool), several names per role allowed."""
    roles_to_train: list[str] | None = None
    """For chat_template: whose turns carry labels (default `[assistant]`)."""
    train_on_eos: Literal["turn", "last", "all", "none"] | None = None
    """For chat_template: which end-of-turn tokens are trained: after every trained turn (`turn`, default), only
    the last, all, or none."""
    chat_template: str | None = None
    """A chat template for this dataset only: a name (chatml, llama3, tokenizer_default) or `jinja`."""
    chat_template_jinja: str | None = None
    """The Jinja template text when `chat_template: jinja`."""
    drop_system_message: bool | None = None
    """For chat_template: drop system messages from every row."""

    @field_validator("type", mode="before")
    @classmethod
    def _normalise_type(cls, value: object) -> object:
        """An empty string means "no type" (pre-tokenized), as YAML often writes it."""
        return None if value == "" else value

    def type_name(self) -> str | None:
        """The format name, with custom alpaca mappings reported as `alpaca`."""
        if isinstance(self.type, AlpacaFieldMapping):
            return "alpaca"
        return self.type
