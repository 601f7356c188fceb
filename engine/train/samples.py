"""Sample answers during training: fixed prompts from the eval split, answered by the model as it is right now.

The prompts are cut from tokenized eval rows, so they read exactly as the model trains on them (chat template,
system prompt and all): a conversation up to its last trained turn, or, for a row that trains on every token
(completion text), its first `generation_prompt_ratio`. The rows are chosen by the seed, the same at every evaluation.
Generation must not change the run: the random state is restored afterwards, the model's training mode and
attention kernel are put back, and nothing touches the data loaders (a resumed run stays bit-identical).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.data.spans import IGNORE_INDEX
from engine.events.schema import SampleAnswer, SamplesEvent

if TYPE_CHECKING:
    from engine.config import RunConfig

GENERATION_ATTENTION = ("sdpa", "eager", "flash_attention_2", "flex_attention")
"""Kernels that attend over a key/value cache; the packed-row kernels (ft-tui's, xformers') do not."""


@dataclass(frozen=True)
class SamplePrompt:
    """One eval row cut into what the model is given and what it was meant to answer."""

    row: int
    """The row's index in the eval split."""
    prompt_ids: list[int]
    reference_ids: list[int]


@dataclass(frozen=True)
class SampleSettings:
    """How answers are generated: axolotl's generation_* keys with their defaults."""

    count: int = 3
    max_new_tokens: int = 50
    do_sample: bool = True
    temperature: float = 0.7
    top_p: float | None = None
    top_k: int | None = None
    prompt_ratio: float = 0.5
    seed: int = 42

    @classmethod
    def from_config(cls, config: RunConfig) -> SampleSettings:
        temperature = config.generation_temperature if config.generation_temperature is not None else 0.7
        return cls(
            count=config.num_generation_samples or 3,
            max_new_tokens=config.generation_max_new_tokens or 50,
            do_sample=config.generation_do_sample is not False and temperature > 0,
            temperature=temperature,
            top_p=config.generation_top_p,
            top_k=config.generation_top_k or None,
            prompt_ratio=config.generation_prompt_ratio if config.generation_prompt_ratio is not None else 0.5,
            seed=config.seed,
        )


def pick_rows(eval_rows: int, count: int, seed: int) -> list[int]:
    """The first `count` eval rows of a shuffle by `seed` (all rows when there are fewer), drawn as the split itself
    is drawn. Raising `count` keeps the rows already shown and adds more, so runs stay comparable."""
    order = np.random.default_rng(seed).permutation(eval_rows)
    return [int(row) for row in order[:count]]


def cut_row(row: int, input_ids: Sequence[int], labels: Sequence[int], ratio: float) -> SamplePrompt:
    """The prompt ends where the row's last trained span begins, and that span is the reference answer.

    A row trained from its first token (completion text) has no prompt of its own: its first `ratio` of tokens
    (at least one) become the prompt and the rest the reference."""
    trained = [index for index, label in enumerate(labels) if label != IGNORE_INDEX]
    if not trained:
        return SamplePrompt(row, list(input_ids), [])
    end = trained[-1] + 1
    start = end - 1
    while start > 0 and labels[start - 1] != IGNORE_INDEX:
        start -= 1
    if start > 1:
        return SamplePrompt(row, list(input_ids[:start]), list(input_ids[start:end]))
    cut = min(max(1, round(end * ratio)), end)
    return SamplePrompt(row, list(input_ids[:cut]), list(input_ids[cut:end]))


def pick_prompts(eval_dataset: Any, settings: SampleSettings) -> list[SamplePrompt]:
    """The fixed prompts of a run: the same rows at every evaluation and after a resume."""
    rows = pick_rows(len(eval_dataset), settings.count, settings.seed)
    prompts = []
    for row in rows:
        item = eval_dataset[row]
        prompts.append(cut_row(row, list(item["input_ids"]), list(item["labels"]), settings.prompt_ratio))
    return prompts


def generate_samples(
    model: Any, tokenizer: Any, prompts: Sequence[SamplePrompt], settings: SampleSettings, step: int
) -> SamplesEvent:
    """Answer every prompt with the model as it is, and the event that records them (with how long it took)."""
    started = time.perf_counter()
    with _side_effects_undone(model, seed=settings.seed + step):
        generated = _generate(model, tokenizer, [prompt.prompt_ids for prompt in prompts], settings)
    answers = [
        SampleAnswer(
            row=prompt.row,
            prompt=_text(tokenizer, prompt.prompt_ids),
            reference=_text(tokenizer, prompt.reference_ids),
            answer=_text(tokenizer, ids),
        )
        for prompt, ids in zip(prompts, generated, strict=True)
    ]
    return SamplesEvent(
        step=step,
        samples=answers,
        seconds=time.perf_counter() - started,
        new_tokens=sum(len(ids) for ids in generated),
        max_new_tokens=settings.max_new_tokens,
        do_sample=settings.do_sample,
    )


def _generate(model: Any, tokenizer: Any, prompts: list[list[int]], settings: SampleSettings) -> list[list[int]]:
    """All prompts in one batch, padded on the left so every answer starts at the same column: generating is one
    token at a time and bound by reading the weights, so two answers cost about what one does."""
    import torch

    if not prompts:
        return []
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    width = max(len(ids) for ids in prompts)
    input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts], dtype=torch.long, device=device)
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=device)
    output = model.generate(
        input_ids=input_ids,
        attention_mask=mask,
        pad_token_id=pad,
        eos_token_id=tokenizer.eos_token_id,
        # Training loads the model with its cache off; generating, each new token would recompute the whole prompt.
        use_cache=True,
        **_sampling_kwargs(settings),
    )
    return [_until_eos(row[width:].tolist(), tokenizer.eos_token_id) for row in output]


def _until_eos(ids: list[int], eos: int | None) -> list[int]:
    """An answer's tokens up to and including its end of turn (a finished row is padded until the batch ends)."""
    return ids[: ids.index(eos) + 1] if eos is not None and eos in ids else ids


def _sampling_kwargs(settings: SampleSettings) -> dict[str, Any]:
    """Greedy decoding clears the model's own sampling defaults, so transformers does not warn they are unused."""
    kwargs: dict[str, Any] = {"max_new_tokens": settings.max_new_tokens, "do_sample": settings.do_sample}
    if not settings.do_sample:
        return kwargs | {"temperature": None, "top_p": None, "top_k": None}
    return kwargs | {"temperature": settings.temperature, "top_p": settings.top_p, "top_k": settings.top_k}


def _text(tokenizer: Any, ids: Sequence[int]) -> str:
    return str(tokenizer.decode(list(ids), skip_special_tokens=True)).strip()


@contextmanager
def _side_effects_undone(model: Any, *, seed: int) -> Iterator[None]:
    """Generation in eval mode, without gradients, with a cache-capable attention kernel and its own seeded random
    stream; afterwards the training random state, mode and kernel are exactly as before."""
    import torch

    devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    was_training = model.training
    with torch.random.fork_rng(devices=devices), torch.no_grad(), _cache_capable_attention(model):
        torch.manual_seed(seed)
        model.eval()
        try:
            yield
        finally:
            model.train(was_training)


@contextmanager
def _cache_capable_attention(model: Any) -> Iterator[None]:
    """ft-tui's packed kernel computes each packed sample on its own and has no key/value cache: generation
    runs with plain sdpa, and the packed kernel comes back for the next training step."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    current = getattr(base.config, "_attn_implementation", None)
    if current is None or current in GENERATION_ATTENTION:
        yield
        return
    base.set_attn_implementation("sdpa")
    try:
        yield
    finally:
        base.set_attn_implementation(current)
