"""Stopping a reply that loops: a barely trained adapter can repeat one phrase until the length cap, which on a CPU
takes minutes. Greedy decoding that repeats the same tokens three times over will repeat them forever, so the
reply is cut there and the user is told why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LOOP_REPEATS = 3
"""How many times a stretch of tokens must repeat back to back to count as a loop."""
LOOP_MIN_TOKENS = 32
"""The shortest looping tail that stops a reply: a short stretch said three times (`ha ha ha`, a repeated list
marker) is ordinary text."""
LOOP_MAX_PERIOD = 64
"""The longest repeating stretch looked for, in tokens (a sentence or two)."""


def loop_period(ids: Sequence[int]) -> int | None:
    """The length of the stretch the sequence ends by repeating (LOOP_REPEATS times back to back, LOOP_MIN_TOKENS
    tokens at least), or None when its end does not loop."""
    for period in range(1, LOOP_MAX_PERIOD + 1):
        span = max(LOOP_REPEATS * period, LOOP_MIN_TOKENS)
        if span > len(ids):
            return None  # longer periods need a longer tail still
        tail = ids[-span:]
        if all(tail[i] == tail[i + period] for i in range(span - period)):
            return period
    return None


def repetition_stop(prompt_tokens: int) -> Any:
    """A transformers StoppingCriteria that ends generation when the reply (the tokens after the prompt) loops;
    its `fired` says afterwards whether it did."""
    import torch
    from transformers import StoppingCriteria

    class RepetitionStop(StoppingCriteria):
        def __init__(self) -> None:
            self.fired = False

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **_: Any) -> torch.BoolTensor:
            window = LOOP_MAX_PERIOD * LOOP_REPEATS
            rows = [row[prompt_tokens:][-window:].tolist() for row in input_ids]
            looping = [loop_period(row) is not None for row in rows]
            self.fired = self.fired or any(looping)
            return torch.tensor(looping, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]  # torch.BoolTensor is a legacy name no tensor is typed as

    return RepetitionStop()
