"""Reading a row's conversation: finding the messages, mapping keys and role names to the template's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.data.errors import FatalRowProblem, RowProblem

DEFAULT_ROLE_ALIASES: dict[str, list[str]] = {
    "system": ["system"],
    "user": ["user", "human"],
    "assistant": ["assistant", "gpt", "model"],
    "tool": ["tool"],
}
"""Dataset role names accepted without a `roles` setting (OpenAI and ShareGPT spellings)."""

TOOL_CALL_ROLES: dict[str, str] = {"function_call": "assistant", "observation": "tool", "function": "tool"}
"""Roles of tool-calling datasets (ShareGPT/glaive spellings, OpenAI's old `function`) and the template role each
one means: only suggested in the error, since axolotl reads them only through `roles`."""


@dataclass(frozen=True)
class MessageReader:
    """Finds the message list in a row and normalises each message to {role, content}."""

    field_messages: str | None = None
    role_key: str | None = None
    content_key: str | None = None
    roles: Mapping[str, list[str]] = field(default_factory=dict)
    drop_system_message: bool = False

    def read(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        """The conversation as template-ready messages; raises RowProblem for a malformed one."""
        raw = self._raw_messages(row)
        messages = [self._message(i, m) for i, m in enumerate(raw)]
        if self.drop_system_message:
            messages = [m for m in messages if m["role"] != "system"]
        if not messages:
            raise RowProblem("empty", "the conversation has no messages")
        return messages

    def _raw_messages(self, row: Mapping[str, Any]) -> list[Any]:
        names = [self.field_messages] if self.field_messages else ["messages", "conversations"]
        for name in names:
            value = row.get(name)
            if value is None:
                continue
            if not isinstance(value, list):
                raise RowProblem("malformed", f"'{name}' is {type(value).__name__}, expected a list of messages")
            return value
        raise RowProblem("missing_field", f"no {' or '.join(repr(n) for n in names)} column with messages")

    def _message(self, index: int, message: Any) -> dict[str, str]:
        if not isinstance(message, Mapping):
            raise RowProblem("malformed", f"message {index} is {type(message).__name__}, expected an object")
        role_key, content_key = self._keys(message)
        role, content = message.get(role_key), message.get(content_key)
        if not isinstance(role, str):
            raise RowProblem("malformed", f"message {index} has no '{role_key}' (its role)")
        if not isinstance(content, str):
            raise RowProblem("malformed", f"message {index} has no text '{content_key}'")
        return {"role": self.template_role(index, role), "content": content}

    def _keys(self, message: Mapping[str, Any]) -> tuple[str, str]:
        """Configured keys win; otherwise role/content, or ShareGPT's from/value when those are present."""
        if self.role_key and self.content_key:
            return self.role_key, self.content_key
        sharegpt = "from" in message and "role" not in message
        role_key = self.role_key or ("from" if sharegpt else "role")
        content_key = self.content_key or ("value" if sharegpt and "value" in message else "content")
        return role_key, content_key

    def template_role(self, index: int, role: str) -> str:
        """The template's name for a dataset role; an unknown one stops the run (the settings are wrong)."""
        for target, aliases in self.roles.items():
            if role in aliases:
                return target
        for target, aliases in DEFAULT_ROLE_ALIASES.items():
            if role in aliases:
                return target
        known = sorted({a for aliases in (*self.roles.values(), *DEFAULT_ROLE_ALIASES.values()) for a in aliases})
        raise FatalRowProblem(
            "unknown_role",
            f"message {index} has role '{role}', which is not mapped; {_role_fix(role, self.roles)}; "
            f"known roles: {', '.join(known)}",
        )


def _role_fix(role: str, roles: Mapping[str, list[str]]) -> str:
    """The `roles:` setting that maps `role`, written out whole (axolotl replaces its defaults with it).

    Tool-call roles go to the template role they mean; any other name is shown under `user` as the pattern to edit.
    """
    target = TOOL_CALL_ROLES.get(role, "user")
    mapping = {name: list(aliases) for name, aliases in (roles or DEFAULT_ROLE_ALIASES).items()}
    mapping.setdefault(target, [])
    mapping[target] = [*mapping[target], role]
    if target == "assistant" and role == "function_call":
        mapping.setdefault("tool", ["tool"])
        if "observation" not in mapping["tool"]:
            mapping["tool"] = [*mapping["tool"], "observation"]
    written = ", ".join(f"{name}: [{', '.join(aliases)}]" for name, aliases in mapping.items() if aliases)
    return f"map it under `roles:`, e.g. roles: {{{written}}}"
