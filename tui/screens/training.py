"""Step 5, training: how long, how fast, in which number format and attention kernel, and where results go."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult

from engine.config import RunConfig
from engine.config.choices import KNOWN_BACKENDS, OFFERED_OPTIMIZERS, OFFERED_SCHEDULERS
from engine.rules import Target, check_config
from tui.screens.step import Section, StepScreen
from tui.widgets.fields import ChoiceField, RadioField, TextField
from tui.widgets.where_it_runs import WhereItRuns

BF16: list[tuple[str, Any]] = [("auto", "auto"), ("bf16", True), ("float32", False)]
CHECKPOINTING: list[tuple[str, Any]] = [("off", False), ("on", True), ("offload (CUDA)", "offload")]
SAMPLES: list[tuple[str, Any]] = [("off", False), ("at each eval", True)]
UNAVAILABLE_RULES = ("attention.cuda_backend_fallback", "attention.backend_not_installed")
"""Catalog rules that say a backend cannot run on the target; their message is the greyed option's reason."""


class TrainingScreen(StepScreen):
    STEP = "training"
    INTRO = (
        "How long and how fast to train, and with which memory savers. Defaults suit LoRA; the attention "
        "choices that cannot run on this machine are greyed with the reason. Evaluation and checkpoint counts "
        "are per epoch."
    )
    KEYS: ClassVar[tuple[str, ...]]
    KEYS = ("num_epochs", "max_steps", "learning_rate", "lr_scheduler", "warmup_steps", "warmup_ratio")
    KEYS += ("optimizer", "bf16", "fp16", "gradient_checkpointing", "attn_implementation", "flash_attention")
    KEYS += ("xformers_attention", "sdp_attention", "flex_attention", "evals_per_epoch", "eval_steps")
    KEYS += ("saves_per_epoch", "save_steps", "output_dir", "wandb_project", "weight_decay", "resume_from_checkpoint")
    KEYS += ("generate_samples", "num_generation_samples", "generation_max_new_tokens")

    def compose_form(self) -> ComposeResult:
        config = self.wizard.config
        yield Section(
            "Length",
            TextField("num_epochs", "Epochs", "passes over the data"),
            TextField("max_steps", "Max steps", "empty: use epochs"),
        )
        yield Section(
            "Optimiser",
            TextField("learning_rate", "Learning rate", "e.g. 2e-4 for LoRA"),
            ChoiceField("lr_scheduler", "Schedule", [(name, name) for name in OFFERED_SCHEDULERS]),
            TextField("warmup_ratio", "Warmup ratio", "e.g. 0.03-0.1 of all steps"),
            TextField("warmup_steps", "Warmup steps", "e.g. 10 (or a ratio above)"),
            ChoiceField("optimizer", "Optimizer", [(name, name) for name in OFFERED_OPTIMIZERS]),
            TextField("weight_decay", "Weight decay", "e.g. 0 (common for LoRA)"),
        )
        yield Section(
            "Speed and memory",
            ChoiceField("bf16", "Precision", BF16),
            ChoiceField("gradient_checkpointing", "Checkpointing", CHECKPOINTING),
            RadioField("attn_implementation", "Attention", attention_choices(config, self.wizard.target)),
        )
        yield Section(
            "Evaluation, checkpoints, output",
            TextField("evals_per_epoch", "Evals per epoch", "e.g. 2"),
            ChoiceField("generate_samples", "Sample answers", SAMPLES),
            TextField("saves_per_epoch", "Saves per epoch", "e.g. 1"),
            TextField("output_dir", "Output folder", "e.g. ./outputs/my-run"),
            TextField("wandb_project", "W&B project", "empty: no W&B logging"),
        )
        yield WhereItRuns()

    def refresh_numbers(self) -> None:
        self.query_one(WhereItRuns).show(self.wizard_state.config, self.wizard_state.path)


def attention_choices(config: RunConfig, target: Target) -> list[tuple[str, Any, str | None]]:
    """Every known backend, greyed with the catalog's own words where it cannot run on `target`.

    A backend the catalog would replace at run time (a CUDA kernel on a CPU) is offered greyed, not hidden, so
    the user learns why; a value from the file that is greyed stays selected and its finding explains it.
    """
    choices: list[tuple[str, Any, str | None]] = [("auto", None, None)]
    current = config.attn_implementation
    for backend in dict.fromkeys([*KNOWN_BACKENDS, *([current] if current else [])]):
        trial = config.model_copy(update={"attn_implementation": backend})
        blocked = [f.message for f in check_config(trial, target, stages=("static",)) if f.rule_id in UNAVAILABLE_RULES]
        reason = blocked[0].split(";")[0].removeprefix(f"{backend} ") if blocked and backend != current else None
        choices.append((backend, backend, reason))
    return choices
