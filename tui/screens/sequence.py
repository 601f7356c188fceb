"""Step 4, sequence and packing: how rows become batches, with the packing numbers of the real data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from engine.config import RunConfig
from engine.wording import count
from tui.screens.step import Section, StepScreen
from tui.widgets.fields import BoolField, ChoiceField, TextField
from tui.widgets.findings import finding_detail

if TYPE_CHECKING:
    from engine.data.stats import DataFacts

EVAL_PACKING: list[tuple[str, Any]] = [("same as training", None), ("packed", True), ("not packed", False)]
EXCESS: list[tuple[str, Any]] = [
    ("drop (default)", None),
    ("drop", "drop"),
    ("truncate", "truncate"),
    ("stop", "raise"),
]


class SequenceScreen(StepScreen):
    STEP = "sequence"
    USES_DATA = True
    INTRO = (
        "sequence_len caps each sample (and, with packing, is the size of each packed row). Packing fills rows "
        "with several short samples that cannot see each other, so the same data takes fewer steps. The numbers "
        "below come from your data's real token lengths."
    )
    KEYS: ClassVar[tuple[str, ...]]
    KEYS = ("sequence_len", "sample_packing", "eval_sample_packing", "pad_to_sequence_len", "micro_batch_size")
    KEYS += ("gradient_accumulation_steps", "batch_size", "eval_batch_size", "excess_length_strategy")
    KEYS += ("min_sample_len",)

    def compose_form(self) -> ComposeResult:
        yield Section(
            "Length",
            TextField("sequence_len", "sequence_len", "tokens, e.g. 512 or 2048"),
            ChoiceField("excess_length_strategy", "Longer rows", EXCESS),
        )
        yield Section(
            "Packing",
            BoolField("sample_packing", "Sample packing", "pack short samples into full rows"),
            ChoiceField("eval_sample_packing", "Eval packing", EVAL_PACKING),
            BoolField("pad_to_sequence_len", "Pad to length", "pad every batch to sequence_len"),
        )
        yield Section(
            "Batch",
            TextField("micro_batch_size", "Micro batch", "rows per forward pass"),
            TextField("gradient_accumulation_steps", "Grad accumulation", "passes per optimiser step"),
        )
        yield Section("With your data", Static("", id="packing-numbers"), Static("", id="eval-explanation"))

    def refresh_numbers(self) -> None:
        self.wizard.analyst.request()
        self.show_analysis()

    def show_analysis(self) -> None:
        config, facts = self.wizard.config, self.wizard.derived.data_facts()
        self.query_one("#packing-numbers", Static).update(packing_lines(config, facts, self.wizard.analysis.status))
        eval_finding = next(
            (f for f in self.wizard.derived.findings() if f.rule_id == "packing.eval_split_too_small"), None
        )
        self.query_one("#eval-explanation", Static).update(finding_detail(eval_finding) if eval_finding else "")


def packing_lines(config: RunConfig, facts: DataFacts | None, status: str) -> Content:
    """Efficiency, bins, batches and steps from DataFacts; until the data is analysed, what is happening."""
    effective = config.effective_batch_size()
    if facts is None:
        return Content(f"Effective batch: {count(effective, 'row')} per optimiser step. {status}")
    accumulation = config.effective_gradient_accumulation_steps()
    rows = [
        (
            "Effective batch",
            f"{config.micro_batch_size} x {accumulation} = {count(effective, '(packed) row')} per step",
        ),
        (
            "Train samples",
            f"{facts.train_rows:,} ({count(facts.train_tokens, 'token')}, {facts.trained_tokens:,} trained)",
        ),
    ]
    if config.sample_packing:
        rows.append(
            (
                "Packing",
                f"{count(facts.train_bins, 'row')} of {config.sequence_len}, "
                f"{100 * facts.packing_efficiency:.1f}% filled",
            )
        )
    rows += [
        ("Steps", f"{facts.steps_per_epoch:,} per epoch, {facts.total_steps:,} in all"),
        (
            "Eval",
            f"{count(facts.eval_rows, 'sample')} ({count(facts.eval_tokens, 'token')}) -> "
            f"{count(facts.eval_batches, 'batch', 'batches')}",
        ),
    ]
    return Content("\n").join(Content.assemble((f"{name:<16}", "bold"), value) for name, value in rows)
