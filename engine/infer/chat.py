"""A conversation with a loaded model: prompts rendered with the training chat template, replies streamed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.infer.loading import InferenceModel

OnText = Callable[[str], None]
"""Receives the reply piece by piece while it is generated (whole words, as the tokenizer decodes them)."""

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationSettings:
    """How replies are sampled. Temperature 0 is greedy decoding: the same prompt always gets the same reply."""

    max_new_tokens: int = 256
    temperature: float = 0.0
    stop_repeats: bool = True
    """End a reply that starts repeating itself (engine.infer.repetition) instead of looping to the cap."""


Cut = Literal["", "repetition", "length"]
"""Why a reply ended early: it looped, or it reached `max_new_tokens`; empty when the model ended its turn."""


@dataclass(frozen=True)
class Reply:
    text: str
    cut: Cut = ""


@dataclass
class ChatSession:
    """The conversation so far plus the model that continues it; `ask` adds one exchange."""

    loaded: InferenceModel
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    system: str | None = None
    """A system message opening every conversation; None leaves the chat template's own default."""
    history: list[Message] = field(default_factory=list)
    last_cut: Cut = ""
    """Why the latest reply was cut short, if it was (the CLI tells the user, with the flag that changes it)."""

    def ask(self, text: str, on_text: OnText | None = None) -> str:
        """The model's reply to `text` given the conversation so far; both are kept only once it completes,
        so a reply interrupted with Ctrl-C leaves the conversation as it was."""
        asked = [*self.history, {"role": "user", "content": text}]
        reply = generate(self.loaded, self._with_system(asked), self.settings, on_text)
        self.history = [*asked, {"role": "assistant", "content": reply.text}]
        self.last_cut = reply.cut
        return reply.text

    def reset(self) -> None:
        """Forget the conversation (the system message stays)."""
        self.history = []

    def _with_system(self, messages: list[Message]) -> list[Message]:
        return [{"role": "system", "content": self.system}, *messages] if self.system else messages


def generate_reply(
    loaded: InferenceModel, messages: list[Message], settings: GenerationSettings, on_text: OnText | None = None
) -> str:
    """Render `messages` with the chat template, generate the assistant's turn, stream it to `on_text`."""
    return generate(loaded, messages, settings, on_text).text


def generate(
    loaded: InferenceModel, messages: list[Message], settings: GenerationSettings, on_text: OnText | None = None
) -> Reply:
    """`generate_reply`, also saying whether the reply was cut short and why."""
    import torch

    from engine.infer.repetition import repetition_stop

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
    prompt_tokens = inputs["input_ids"].shape[1]
    stop = repetition_stop(prompt_tokens) if settings.stop_repeats else None
    with torch.inference_mode():
        output = model.generate(
            **inputs,
            **_generate_kwargs(loaded, settings),
            streamer=streamer,
            stopping_criteria=[stop] if stop is not None else None,
        )
    reply_ids = output[0, prompt_tokens:]
    text = str(tokenizer.decode(reply_ids, skip_special_tokens=True)).strip()
    if stop is not None and stop.fired:
        return Reply(text, "repetition")
    ended = len(reply_ids) > 0 and int(reply_ids[-1]) in stop_token_ids(loaded)
    return Reply(text, "length" if len(reply_ids) >= settings.max_new_tokens and not ended else "")


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
