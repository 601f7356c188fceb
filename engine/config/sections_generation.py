"""Config keys for sample answers during training: what the model says to held-out prompts at each evaluation."""

from __future__ import annotations

from pydantic import Field

from engine.config.base import StrictModel


class GenerationSection(StrictModel):
    """axolotl's sample-generation keys, with axolotl's defaults. They change what the run shows, never what it
    learns: answers are generated on the side, with the training randomness put back afterwards."""

    generate_samples: bool | None = False
    """At each evaluation (and once before the first step, for the base model), answer a few fixed prompts from the
    eval split, so the monitor shows what the model now says next to the reference answer. Needs an eval split."""
    num_generation_samples: int | None = 3
    """How many eval rows are answered each time: the same rows at every evaluation, chosen by `seed`."""
    generation_max_new_tokens: int | None = 50
    """The longest answer, in tokens. Each evaluation generates this many tokens for every sample at most."""
    generation_temperature: float | None = Field(default=0.7, ge=0)
    """Sampling temperature: lower is more predictable; 0 decodes greedily (the most likely token each time)."""
    generation_top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling: draw only from the most likely tokens whose probabilities add up to this (e.g. 0.9)."""
    generation_top_k: int | None = Field(default=None, ge=0)
    """Draw only from this many most likely tokens (0 or empty: no limit)."""
    generation_prompt_ratio: float | None = Field(default=0.5, ge=0, le=1)
    """For rows that train on every token (completion text): the share of the row given as the prompt; the model
    writes the rest. Conversations are cut before their last trained answer instead."""
    generation_do_sample: bool | None = True
    """Sample the answer with the temperature above; false decodes greedily, so answers change only when the
    model does (best for watching it learn)."""
