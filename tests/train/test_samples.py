"""Sample answers during training: fixed prompts cut from eval rows, answered at step 0 and at each evaluation,
written as `samples` events, without changing what the run learns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from engine.config import RunConfig
from engine.events import EvalEvent, Event, FinishedEvent, LogEvent, SamplesEvent, StepEvent, read_events
from engine.train import StopRequest, train
from engine.train.samples import cut_row, pick_rows
from tests.train.conftest import run_engine, write_config

X = -100

SAMPLES = {
    "val_set_size": 0.25,
    "eval_steps": 3,
    "max_steps": 6,
    "generate_samples": True,
    "num_generation_samples": 2,
    "generation_max_new_tokens": 5,
    "generation_do_sample": False,
}


def events_of(config: RunConfig) -> list[Event]:
    return read_events(Path(config.output_dir) / "events.jsonl")


def of(events: list[Event], kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]


def test_a_conversation_is_cut_before_its_last_trained_turn() -> None:
    ids = [10, 11, 12, 13, 14, 15, 16, 17, 18]
    labels = [X, X, 12, 13, X, X, 16, 17, X]
    prompt = cut_row(4, ids, labels, ratio=0.5)
    assert prompt.row == 4
    assert prompt.prompt_ids == [10, 11, 12, 13, 14, 15] and prompt.reference_ids == [16, 17]


def test_a_completion_row_gives_its_first_share_as_the_prompt() -> None:
    ids = list(range(100, 110))
    prompt = cut_row(0, ids, ids, ratio=0.3)
    assert prompt.prompt_ids == [100, 101, 102] and prompt.reference_ids == list(range(103, 110))
    assert cut_row(0, ids, ids, ratio=0.0).prompt_ids == [100]


def test_the_rows_are_chosen_by_the_seed_and_never_twice() -> None:
    assert pick_rows(50, 3, seed=7) == pick_rows(50, 3, seed=7)
    assert pick_rows(50, 3, seed=7) != pick_rows(50, 3, seed=8)
    assert len(set(pick_rows(50, 5, seed=1))) == 5
    assert sorted(pick_rows(2, 5, seed=1)) == [0, 1]
    assert pick_rows(50, 5, seed=3)[:2] == pick_rows(50, 2, seed=3)


def test_base_answers_then_one_samples_event_per_evaluation(make_config: Callable[..., RunConfig]) -> None:
    config = make_config(**SAMPLES)
    assert train(config).status == "completed"
    events = events_of(config)
    samples = of(events, SamplesEvent)
    evals = of(events, EvalEvent)
    assert [event.step for event in samples] == [0, *(event.step for event in evals)] and len(evals) == 2
    first_step = next(index for index, event in enumerate(events) if isinstance(event, StepEvent))
    assert events.index(samples[0]) < first_step
    for event in samples:
        assert len(event.samples) == 2 and event.max_new_tokens == 5 and not event.do_sample
        assert 0 < event.new_tokens <= 2 * 5 and event.seconds > 0
        assert [sample.row for sample in event.samples] == [sample.row for sample in samples[0].samples]
        assert all(sample.prompt and sample.reference for sample in event.samples)
        # Written while the evaluation is still shown: before the eval line of the same step.
        if event.step:
            assert events.index(event) < events.index(next(e for e in evals if e.step == event.step))
    logs = [event.message for event in of(events, LogEvent)]
    assert any(message.startswith("sample answers of the base model: 2 generated in") for message in logs)
    assert any(message.startswith("sample answers of step 3:") for message in logs)


def test_generating_changes_nothing_the_run_learns_even_across_a_resume(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    """Sampled answers draw random numbers and dropout draws them too: the training stream must not notice."""
    keys = SAMPLES | {"lora_dropout": 0.1, "generation_do_sample": True, "generation_temperature": 1.0}
    plain = make_config(**(keys | {"generate_samples": False}), output_dir=str(tmp_path / "plain"))
    sampled = make_config(**keys, output_dir=str(tmp_path / "sampled"))
    train(plain)
    stop = StopRequest()

    def stop_at_step_4(event: Event) -> None:
        if isinstance(event, StepEvent) and event.step == 4:
            stop.request("test")

    assert train(sampled, progress=stop_at_step_4, stop=stop).status == "stopped"
    assert train(sampled, resume=True).status == "completed"
    losses = {event.step: event.loss for event in of(events_of(sampled), StepEvent)}
    assert losses == {event.step: event.loss for event in of(events_of(plain), StepEvent)}
    weights = [load_file(Path(c.output_dir) / "adapter_model.safetensors") for c in (plain, sampled)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])
    # The resumed run does not answer for the base model again.
    assert [event.step for event in of(events_of(sampled), SamplesEvent)] == [0, 3, 6]


def test_answers_are_the_same_with_and_without_packed_attention(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    """Generation runs with a cache-capable kernel even when training uses the per-sample packed one, which has no
    key/value cache and would answer wrongly after the first token."""
    answers = []
    for packing in (True, False):
        config = make_config(
            **(SAMPLES | {"max_steps": 1, "eval_steps": 1, "generation_max_new_tokens": 8}),
            sample_packing=packing,
            output_dir=str(tmp_path / f"packing-{packing}"),
        )
        train(config)
        base = of(events_of(config), SamplesEvent)[0]
        assert base.step == 0 and base.new_tokens > 2
        answers.append([sample.answer for sample in base.samples])
    assert answers[0] == answers[1]


@pytest.mark.slow  # two engine processes under torchrun (gloo on the CPU): about a minute on a loaded 2-core machine
def test_two_ranks_write_one_samples_event_per_evaluation(
    make_config: Callable[..., RunConfig], tmp_path: Path
) -> None:
    """Rank 0 generates while rank 1 waits at a barrier: the run finishes, and nothing is written twice."""
    config = make_config(**(SAMPLES | {"max_steps": 4, "eval_steps": 2}))
    done = run_engine(str(write_config(config, tmp_path / "two.yml")), "--nproc", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    events = events_of(config)
    evals = of(events, EvalEvent)
    assert [event.step for event in of(events, SamplesEvent)] == [0, *(event.step for event in evals)]
    assert len(evals) == 2 and of(events, FinishedEvent)[-1].status == "completed"


def test_prompts_answered_together_get_the_answers_each_gets_alone() -> None:
    """One batch padded on the left gives every prompt the greedy answer it gets on its own."""
    from engine.train.samples import SamplePrompt, SampleSettings, generate_samples
    from tests.tiny import tiny_llama, tiny_tokenizer

    model, tokenizer = tiny_llama(), tiny_tokenizer()
    settings = SampleSettings(max_new_tokens=6, do_sample=False)
    texts = ("Say hello.", "What is the capital of France? Describe the fox.")
    prompts = [SamplePrompt(i, tokenizer(text)["input_ids"], [1]) for i, text in enumerate(texts)]
    together = generate_samples(model, tokenizer, prompts, settings, step=0)
    alone = [generate_samples(model, tokenizer, [prompt], settings, step=0).samples[0] for prompt in prompts]
    assert [sample.answer for sample in together.samples] == [sample.answer for sample in alone]
    assert together.new_tokens == 12 and all(sample.answer for sample in alone)
