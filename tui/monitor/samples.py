"""The sample answers of one run, by step: what the Samples view pages through (no Textual here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.events import SampleAnswer, SamplesEvent


@dataclass
class SampleHistory:
    """Each step's samples event, in step order. Step 0 is the base model; a step written twice (a resumed run
    that evaluated the same step again) keeps its newest answers."""

    by_step: dict[int, SamplesEvent] = field(default_factory=dict)

    def add(self, event: SamplesEvent) -> None:
        self.by_step[event.step] = event

    @property
    def steps(self) -> list[int]:
        """The evaluated steps, without the base model's step 0."""
        return sorted(step for step in self.by_step if step > 0)

    @property
    def base(self) -> SamplesEvent | None:
        return self.by_step.get(0)

    def __bool__(self) -> bool:
        return bool(self.by_step)

    def at(self, step: int) -> SamplesEvent | None:
        return self.by_step.get(step)

    def base_answer(self, sample: SampleAnswer) -> str | None:
        """The base model's answer to the same eval row, when it was recorded."""
        base = self.base
        if base is None:
            return None
        return next((other.answer for other in base.samples if other.row == sample.row), None)
