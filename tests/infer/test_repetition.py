"""A reply that loops is cut where it loops, and the user is told why and which flag changes it
(`ft-tui chat` on a barely trained adapter used to repeat itself for minutes)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from engine.cli import main
from engine.infer import ChatSession, GenerationSettings, InferenceModel, LoadRequest, load_for_inference
from engine.infer.loading import load_run_config
from engine.infer.repetition import LOOP_MIN_TOKENS, LOOP_REPEATS, loop_period
from tests.infer.runs import TinyRun

LONG = 200


def test_a_tail_that_repeats_is_a_loop_and_ordinary_text_is_not() -> None:
    sentence = list(range(10, 22))  # twelve tokens said three times over
    assert loop_period([1, 2, 3, *sentence * LOOP_REPEATS]) == len(sentence)
    assert loop_period([5] * LOOP_MIN_TOKENS) == 1
    assert loop_period([5] * (LOOP_MIN_TOKENS - 1)) is None  # `ha ha ha`: too short to call a loop
    assert loop_period(list(range(100))) is None
    assert loop_period([*sentence * 2, 99]) is None  # it stopped repeating


def one_word_forever(loaded: InferenceModel) -> InferenceModel:
    """The model with an output layer that always prefers one ordinary word: greedy decoding repeats it to the
    cap, as an adapter stuck in a loop does."""
    inner: Any = loaded.model.get_base_model() if hasattr(loaded.model, "get_base_model") else loaded.model
    word = loaded.tokenizer("hello", add_special_tokens=False)["input_ids"][0]
    head = torch.nn.Linear(inner.config.hidden_size, inner.config.vocab_size, bias=True)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        head.bias[word] = 10.0
    inner.lm_head = head
    return loaded


def looping(tiny_run: TinyRun) -> InferenceModel:
    return one_word_forever(load_for_inference(LoadRequest(load_run_config(tiny_run.config_path))))


def test_a_looping_reply_stops_at_the_loop(tiny_run: TinyRun) -> None:
    loaded = looping(tiny_run)
    session = ChatSession(loaded, GenerationSettings(max_new_tokens=LONG))
    reply = session.ask("Hello there!")
    assert session.last_cut == "repetition"
    assert len(loaded.tokenizer(reply, add_special_tokens=False)["input_ids"]) < LONG // 2
    session = ChatSession(loaded, GenerationSettings(max_new_tokens=LONG, stop_repeats=False))
    session.ask("Hello there!")
    assert session.last_cut == "length"


@pytest.mark.parametrize(
    ("flags", "note"),
    [
        ([], "reply cut: it began repeating itself"),
        (["--allow-repeats"], f"reply cut at --max-new-tokens {LONG}"),
    ],
)
def test_chat_says_why_a_reply_was_cut_and_how_to_change_it(
    tiny_run: TinyRun,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    note: str,
) -> None:
    monkeypatch.setattr("engine.infer.load_for_inference", lambda request, progress=None: looping(tiny_run))
    args = ["chat", str(tiny_run.config_path), "--prompt", "Hello there!", "--max-new-tokens", str(LONG), *flags]
    assert main(args) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert note in err
    assert ("--allow-repeats" in err) if not flags else ("pass a larger --max-new-tokens" in err)
