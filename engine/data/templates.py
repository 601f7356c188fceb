"""Chat templates by name: the tokenizer's own, a few well-known layouts, or the user's Jinja text."""

from __future__ import annotations

from typing import Any

from engine.data.errors import DataError

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""ChatML, the layout of Qwen, SmolLM and many fine-tunes."""

LLAMA3 = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim"
    " + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
"""Llama 3's header/eot layout (without the tool-calling parts)."""

NAMED_TEMPLATES: dict[str, str] = {"chatml": CHATML, "llama3": LLAMA3}
TEMPLATE_CHOICES = ("tokenizer_default", "jinja", *NAMED_TEMPLATES)


def resolve_chat_template(name: str | None, jinja: str | None, tokenizer: Any) -> str:
    """The Jinja text to render conversations with.

    No name means the tokenizer's own template: it is what the model was trained on, so it is the
    safest default. A tokenizer without one is an error rather than a silent fallback, because a
    wrong layout trains the model on prompts it will never see at inference time.
    """
    if name is None or name == "tokenizer_default":
        own = getattr(tokenizer, "chat_template", None)
        if not own:
            raise DataError(
                "the tokenizer has no chat template; set `chat_template: chatml` (or llama3, or jinja with "
                "`chat_template_jinja`)"
            )
        return own if isinstance(own, str) else _default_of(own)
    if name == "jinja":
        if not jinja:
            raise DataError("`chat_template: jinja` needs the template text in `chat_template_jinja`")
        return jinja
    if name in NAMED_TEMPLATES:
        return NAMED_TEMPLATES[name]
    raise DataError(f"unknown chat_template '{name}'; use one of: {', '.join(TEMPLATE_CHOICES)}")


def describe_chat_template(name: str | None) -> str:
    """The template a name picks, for messages: `tokenizer_default` (the model folder's own), `jinja` (the config's
    chat_template_jinja) or a built-in's name."""
    if name is None or name == "tokenizer_default":
        return "`tokenizer_default` (the model folder's own)"
    if name == "jinja":
        return "`jinja` (chat_template_jinja in the config)"
    return f"`{name}`"


def _default_of(templates: dict[str, str]) -> str:
    """Some tokenizers ship several named templates; the one called `default` is the chat one."""
    if "default" in templates:
        return templates["default"]
    raise DataError("the tokenizer has several chat templates and none is `default`; set `chat_template`")
