"""A conversation with a loaded model: prompts rendered with the training chat template, replies streamed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.infer.loading import InferenceModel

OnText = Callable[[str], None]
"""Receives the reply piece by piece while it is generated (whole words, as the tokenizer decodes them)."""

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationSettings:
    """How replies are sampled. Temperature 0 is greedy decoding: the same prompt always gets the same reply."""

    max_new_tokens: int = 256
    temperature: float = 0.0


@dataclass
class ChatSession:
    """The conversation so far plus the model that continues it; `ask` adds one exchange."""

    loaded: InferenceModel
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    system: str | None = None
    """A system message opening every conversation; None leaves the chat template's own default."""
    history: list[Message] = field(default_factory=list)

    def ask(self, text: str, on_text: OnText | None = None) -> str:
        """The model's reply to `text` given the conversation so far; both are kept only once it completes,
        so a reply interrupted with Ctrl-C leaves the conversation as it was."""
        asked = [*self.history, {"role": "user", "content": text}]
        reply = generate_reply(self.loaded, self._with_system(asked), self.settings, on_text)
        self.history = [*asked, {"role": "assistant", "content": reply}]
        return reply

    def reset(self) -> None:
        """Forget the conversation (the system message stays)."""
        self.history = []

    def _with_system(self, messages: list[Message]) -> list[Message]:
        return [{"role": "system", "content": self.system}, *messages] if self.system else messages


def generate_reply(
    loaded: InferenceModel, messages: list[Message], settings: GenerationSettings, on_text: OnText | None = None
) -> str:
    """Render `messages` with the chat template, generate the assistant's turn, stream it to `on_text`."""
    import torch

    tokenizer, model = loaded.tokenizer, loaded.model
    from engine.data.template_budget import render_within_budget

    prompt = render_within_budget(
        lambda: tokenizer.apply_chat_template(
            messages, chat_template=loaded.chat_template, add_generation_prompt=True, tokenize=False
        ),
        "`chat_template` of this run",
    )
    inputs = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").to(model.device)
    streamer = _streamer(tokenizer, on_text) if on_text else None
    with torch.inference_mode():
        output = model.generate(**inputs, **_generate_kwargs(loaded, settings), streamer=streamer)
    reply_ids = output[0, inputs["input_ids"].shape[1] :]
    return str(tokenizer.decode(reply_ids, skip_special_tokens=True)).strip()


def _generate_kwargs(loaded: InferenceModel, settings: GenerationSettings) -> dict[str, Any]:
    """Greedy unless a temperature is set; the sampling knobs of the model's generation config are cleared
    for greedy runs so transformers does not warn that they are ignored."""
    kwargs: dict[str, Any] = {
        "max_new_tokens": settings.max_new_tokens,
        "pad_token_id": loaded.tokenizer.pad_token_id,
        "eos_token_id": stop_token_ids(loaded),
    }
    if settings.temperature > 0:
        return {**kwargs, "do_sample": True, "temperature": settings.temperature}
    return {**kwargs, "do_sample": False, "temperature": None, "top_p": None, "top_k": None}


def stop_token_ids(loaded: InferenceModel) -> list[int]:
    """The tokenizer's eos (the chat template's end of turn) plus any the model's generation config lists."""
    ids: list[int] = []
    configured = getattr(loaded.model.generation_config, "eos_token_id", None)
    for token_id in [loaded.tokenizer.eos_token_id, *(configured if isinstance(configured, list) else [configured])]:
        if token_id is not None and token_id not in ids:
            ids.append(int(token_id))
    return ids


def _streamer(tokenizer: Any, on_text: OnText) -> Any:
    """transformers' TextStreamer, handing each decoded piece to `on_text` instead of printing it."""
    from transformers import TextStreamer

    class CallbackStreamer(TextStreamer):
        def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
            if text:
                on_text(text)

    return CallbackStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
