"""The `alpaca` format: instruction, optional input and output, laid out as the Stanford Alpaca prompt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.data.formats.common import eos_text, text_field
from engine.data.spans import Encoded, TextSample, encode_spans

SYSTEM_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.\n\n"
)
SYSTEM_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
)
FORMAT_WITH_INPUT = "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
FORMAT_NO_INPUT = "### Instruction:\n{instruction}\n\n### Response:\n"


@dataclass(frozen=True)
class AlpacaLayout:
    """Which columns hold which part, and the prompt text around them (axolotl's custom-format keys)."""

    field_instruction: str = "instruction"
    field_input: str = "input"
    field_output: str = "output"
    field_system: str | None = None
    system_prompt: str | None = None
    system_format: str = "{system}"
    format: str = FORMAT_WITH_INPUT
    no_input_format: str = FORMAT_NO_INPUT


@dataclass(frozen=True)
class AlpacaFormatter:
    """Encodes alpaca rows: the prompt is masked, the output and EOS are trained (unless train_on_inputs)."""

    tokenizer: Any
    layout: AlpacaLayout
    train_on_inputs: bool = False

    def __call__(self, row: Mapping[str, Any]) -> list[Encoded]:
        return [encode_spans(self.tokenizer, s.text, s.trained, add_special_tokens=True) for s in self.texts(row)]

    def texts(self, row: Mapping[str, Any]) -> list[TextSample]:
        """The row rendered, before tokenizing: the prompt is untrained, the answer and EOS are trained."""
        prompt = self.prompt(row)
        answer = text_field(row, self.layout.field_output, required=True) + eos_text(self.tokenizer)
        start = 0 if self.train_on_inputs else len(prompt)
        text = prompt + answer
        return [TextSample(text, ((start, len(text)),), add_special_tokens=True)]

    def prompt(self, row: Mapping[str, Any]) -> str:
        """The untrained part: system text, then the instruction (and input) in the chosen layout."""
        lay = self.layout
        instruction = text_field(row, lay.field_instruction, required=True)
        extra = text_field(row, lay.field_input, required=False)
        turn = lay.format if extra.strip() else lay.no_input_format
        return self.system(row, bool(extra.strip())) + turn.format(instruction=instruction, input=extra)

    def system(self, row: Mapping[str, Any], has_input: bool) -> str:
        """A per-row system column wins, then a fixed system_prompt, then Alpaca's own preamble."""
        lay = self.layout
        own = text_field(row, lay.field_system, required=False) if lay.field_system else ""
        chosen = own or lay.system_prompt
        if chosen:
            return lay.system_format.format(system=chosen)
        if lay.format != FORMAT_WITH_INPUT:
            return ""
        return SYSTEM_WITH_INPUT if has_input else SYSTEM_NO_INPUT
