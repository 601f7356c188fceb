"""Chatting: streamed pieces add up to the reply, the conversation is kept, reset, and the adapter is used."""

from __future__ import annotations

import pytest

from engine.infer import ChatSession, GenerationSettings, LoadRequest, load_for_inference
from engine.infer.chat import stop_token_ids
from engine.infer.loading import load_run_config
from tests.infer.runs import TinyRun, write_config
from tests.tiny import CHATML_TEMPLATE

SHORT = GenerationSettings(max_new_tokens=8)


@pytest.fixture
def session(tiny_run: TinyRun) -> ChatSession:
    return ChatSession(load_for_inference(LoadRequest(load_run_config(tiny_run.config_path))), SHORT)


def test_streamed_pieces_make_up_the_reply(session: ChatSession) -> None:
    pieces: list[str] = []
    reply = session.ask("Hello there!", on_text=pieces.append)
    assert reply
    assert "".join(pieces).strip() == reply


def test_greedy_replies_repeat_and_the_conversation_is_kept(session: ChatSession) -> None:
    first = session.ask("What is the capital of France?")
    assert session.history == [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": first},
    ]
    session.ask("And of Spain?")
    assert [m["role"] for m in session.history] == ["user", "assistant", "user", "assistant"]
    session.reset()
    assert session.history == []
    assert session.ask("What is the capital of France?") == first


def test_an_interrupted_reply_leaves_the_conversation_unchanged(session: ChatSession) -> None:
    session.ask("Hello there!")
    kept = list(session.history)

    def interrupt(_piece: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        session.ask("How are you today?", on_text=interrupt)
    assert session.history == kept


def test_the_adapter_is_loaded_unless_base_is_asked(tiny_run: TinyRun) -> None:
    config = load_run_config(tiny_run.config_path)
    adapted = load_for_inference(LoadRequest(config))
    base = load_for_inference(LoadRequest(config, with_adapter=False))
    assert adapted.adapter_dir == tiny_run.output_dir
    assert base.adapter_dir is None
    assert type(adapted.model).__name__.startswith("Peft")
    assert not type(base.model).__name__.startswith("Peft")


def test_prompts_use_the_configured_template_and_system_message(
    tiny_run: TinyRun, monkeypatch: pytest.MonkeyPatch
) -> None:

    path = write_config(
        tiny_run.config_path.with_name("sys.yml"),
        tiny_run.base_folder,
        tiny_run.output_dir,
        "chat_template: chatml\ndefault_system_message: Be brief.\n",
    )
    config = load_run_config(path)
    loaded = load_for_inference(LoadRequest(config))
    assert loaded.chat_template == CHATML_TEMPLATE
    rendered: list[str] = []
    render = loaded.tokenizer.apply_chat_template

    def spy(*args: object, **kwargs: object) -> str:
        rendered.append(render(*args, **kwargs))
        return rendered[-1]

    monkeypatch.setattr(loaded.tokenizer, "apply_chat_template", spy)
    session = ChatSession(loaded, SHORT, system=config.default_system_message)
    session.ask("hi")
    assert rendered == [
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    ]
    assert session.history[0] == {"role": "user", "content": "hi"}


def test_sampling_with_a_temperature_gives_text(session: ChatSession) -> None:
    session.settings = GenerationSettings(max_new_tokens=6, temperature=0.9)
    assert isinstance(session.ask("Hello"), str)


def test_generation_stops_at_the_end_of_turn_token(session: ChatSession) -> None:
    assert session.loaded.tokenizer.convert_tokens_to_ids("<|im_end|>") in stop_token_ids(session.loaded)
