"""Step 3, LoRA: rank, scaling, dropout and which layers get an adapter, with the trainable-parameter count."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.widgets import Static

from engine.config import RunConfig
from tui.screens.step import Section, StepScreen
from tui.widgets.fields import BoolField, ChecklistField, ListField, TextField

if TYPE_CHECKING:
    from engine.models import ModelFacts


class LoraScreen(StepScreen):
    STEP = "lora"
    INTRO = (
        "LoRA learns a small low-rank update (rank r) beside each chosen linear layer; the base model stays "
        "frozen. Higher r learns more and costs more memory; alpha scales the update by alpha / r. Putting "
        "LoRA on every linear layer usually gives the best quality. The count below is exact for this model."
    )
    KEYS: ClassVar[tuple[str, ...]]
    KEYS = ("adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules", "lora_target_linear")
    KEYS += ("lora_modules_to_save", "peft_use_dora", "peft_use_rslora", "lora_model_dir", "tokens")

    def compose_form(self) -> ComposeResult:
        facts = self.wizard.derived.model_facts()
        names = list(facts.linear_module_names) if facts is not None and facts.linear_layers else []
        modules = (
            ChecklistField("lora_target_modules", "Layers", names)
            if names
            else ListField("lora_target_modules", "Layers", "e.g. q_proj, v_proj (model not on disk: type names)")
        )
        yield Static("", id="lora-note", classes="note")
        yield Section(
            "Adapter size",
            TextField("lora_r", "Rank r", "e.g. 8-64"),
            TextField("lora_alpha", "Alpha", "e.g. r or 2 x r"),
            TextField("lora_dropout", "Dropout", "e.g. 0-0.1"),
        )
        yield Section(
            "Where LoRA goes",
            BoolField("lora_target_linear", "All linear layers", "every linear layer of every block"),
            modules,
        )
        yield Section(
            "Variants",
            BoolField("peft_use_rslora", "rsLoRA", "scale by alpha / sqrt(r)"),
            BoolField("peft_use_dora", "DoRA", "weight-decomposed LoRA (slower steps)"),
        )
        yield Section("Trainable parameters", Static("", id="lora-params"))

    def build_config(self, config: RunConfig) -> RunConfig:
        self._sync_modules_enabled()
        return super().build_config(config)

    def load_fields(self, config: RunConfig) -> None:
        super().load_fields(config)
        self._sync_modules_enabled()

    def _sync_modules_enabled(self) -> None:
        """With "all linear" on, the checklist is moot: greyed, but its names are kept for when it goes off."""
        all_linear = bool(self.query_one("#row-lora_target_linear", BoolField).value)
        self.query_one("#row-lora_target_modules").disabled = all_linear

    def refresh_numbers(self) -> None:
        config = self.wizard.config
        note = self.query_one("#lora-note", Static)
        note.update(
            ""
            if config.uses_lora()
            else "Method is a full fine-tune (Model step): these LoRA settings are not used; choose LoRA there."
        )
        self.query_one("#lora-params", Static).update(trainable_line(config, self.wizard.derived.model_facts()))


def trainable_line(config: RunConfig, facts: ModelFacts | None) -> str:
    """`4,884,480 trainable (3.50% of 139.4 M)`, computed exactly by engine.models from the layer shapes, for the
    layers training will really wrap (peft's default ones when none are chosen) and with the model card's share."""
    if facts is None:
        return "The model is not on disk yet; the exact count appears once it is (Model step: Download)."
    from engine.models import UnknownTargetModuleError, UnsupportedArchitectureError, lora_trainable_params
    from engine.models.facts import trainable_share
    from engine.models.targets import default_targets_text, lora_targets

    targets = lora_targets(config, facts.model_type)
    if targets is None and facts.linear_layers:
        return f"✗ no layers chosen, and peft's default is {default_targets_text(facts.model_type)}: tick layers"
    try:
        count = lora_trainable_params(facts, config.lora_r, targets or [])
    except (UnknownTargetModuleError, UnsupportedArchitectureError) as error:
        return f"✗ {error}"
    total = (facts.parameter_count or 0) + count
    share = f" ({trainable_share(count, total)} of {total / 1e6:,.1f} M)" if facts.parameter_count else ""
    fallback = "" if config.lora_target_linear or config.lora_target_modules else " (no layers chosen: peft's default)"
    scale = config.lora_alpha / (config.lora_r**0.5 if config.peft_use_rslora else config.lora_r)
    return f"{count:,} trainable{share}{fallback}; update scale alpha / r = {scale:g}"
