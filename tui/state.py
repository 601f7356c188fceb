"""The wizard's one state object: the current config (replaced whole on every edit), its file and a dirty flag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.config import ConfigError, DatasetConfig, RunConfig, config_to_dict, parse_config_dict

STEPS: tuple[tuple[str, str], ...] = (
    ("model", "Model"),
    ("dataset", "Dataset"),
    ("lora", "LoRA"),
    ("sequence", "Sequence & packing"),
    ("training", "Training"),
    ("review", "Review & run"),
)
"""(id, title) of every wizard step, in order."""

STEP_IDS = tuple(step for step, _ in STEPS)


@dataclass(frozen=True)
class WizardState:
    """Everything the wizard knows that is not derived: the config, where it lives, and what the user accepted.

    Frozen: every edit makes a new state, so a screen can never hold a stale half-edited copy.
    """

    config: RunConfig
    path: Path | None = None
    """The YAML file this config was opened from or last saved to; None until saved."""
    dirty: bool = False
    """True when the config holds edits that would be lost on quitting: a preset or a run's config opened and
    left as it was is not dirty, though it has no file yet (`path` is None)."""
    accepted: frozenset[str] = field(default_factory=frozenset)
    """Rule ids of warnings the user explicitly accepted."""
    origin: str = ""
    """Where the config came from (`preset smollm2-135m-lora`, a file path), for the title bar."""

    def with_config(self, config: RunConfig) -> WizardState:
        """The state with a new config; dirty only when the YAML that would be written changes."""
        if config_to_dict(config) == config_to_dict(self.config):
            return self if config == self.config else replace(self, config=config)
        return replace(self, config=config, dirty=True)

    def saved_to(self, path: Path) -> WizardState:
        return replace(self, path=path, dirty=False)

    def accept(self, rule_ids: set[str]) -> WizardState:
        return replace(self, accepted=self.accepted | frozenset(rule_ids))


def edit_config(config: RunConfig, changes: Mapping[str, Any]) -> RunConfig:
    """A new config with `changes` applied, validated like a YAML file; raises ConfigError naming the fields.

    None clears a key back to its default when the default is empty, so a cleared field leaves no trace in the
    written YAML; keys whose default is not empty (`adapter: lora`) keep an explicit None. A change to the value
    the key already has (a form re-read as it was) leaves the key as it was: unset stays unset, and an opened
    file's empty `wandb_project:` stays, so visiting a step neither rewrites the file nor marks it unsaved.
    """
    original = config.model_dump(exclude_unset=True)
    data = dict(original)
    touched = []
    for key, value in changes.items():
        if getattr(config, key) == value:
            continue
        touched.append(key)
        if value is None and RunConfig.model_fields[key].default is None:
            data.pop(key, None)
        else:
            data[key] = value
    edited = parse_config_dict(data, source="wizard")
    unchanged = [key for key in touched if getattr(edited, key) == getattr(config, key)]
    if not unchanged:
        return edited
    for key in unchanged:  # text that means the value already there (`0.0`): the key stays as it was, unset or empty
        if key in original:
            data[key] = original[key]
        else:
            data.pop(key, None)
    return parse_config_dict(data, source="wizard")


def edit_dataset(config: RunConfig, changes: Mapping[str, Any], index: int = 0) -> RunConfig:
    """A new config whose `datasets[index]` has `changes` applied (None removes a key); creates the entry."""
    entries = [entry.model_dump(exclude_unset=True) for entry in config.datasets]
    while len(entries) <= index:
        entries.append({"path": ""})
    entry = entries[index]
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return edit_config(config, {"datasets": entries})


def field_errors(error: ConfigError) -> dict[str, str]:
    """Problems keyed by the config key they concern (`datasets.0.path` shortened to `path`)."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        key = problem.key.split(".")[-1] if problem.key.startswith("datasets.") else problem.key.split(".")[0]
        message = problem.message + (f" ({problem.fix})" if problem.fix else "")
        errors.setdefault(key, message)
    return errors


TARGET_HELP = {
    "train_on": "The machine the config is checked for. This machine: the rules judge what is here. A CUDA GPU: "
    "the config is meant for a GPU server, judged as `ft-tui validate --device cuda` judges it (8-bit and 4-bit "
    "bases, CUDA attention kernels, the server's own Hugging Face token). The choice is remembered with the file "
    "you save (not written into it: axolotl would not know the key); the run re-checks the real machine.",
    "gpu_memory": "Memory of the declared CUDA GPU in GiB, as `--gpu-memory` on the command line; the memory "
    "estimate is judged against it.",
}
"""Help for the Model step's "Train on" and "GPU memory": wizard settings, not config keys."""


def help_text(key: str) -> str:
    """The docstring of a config key, from the run config or (for dataset keys) a dataset entry; the wizard's own
    target settings have theirs in TARGET_HELP."""
    if key in TARGET_HELP:
        return TARGET_HELP[key]
    field_info = RunConfig.model_fields.get(key) or DatasetConfig.model_fields.get(key)
    text = " ".join((field_info.description or "").split()) if field_info else ""
    return f"{text} {TYPED_AS[key]}" if key in TYPED_AS else text


ROLES_SYNTAX = "user: human; assistant: gpt, bot"
"""How the Role names box reads roles: its placeholder, its help and its error all show this one form."""

TYPED_AS = {
    "roles": f"Typed as `{ROLES_SYNTAX}`: a `;` between roles, a `,` between a role's names.",
}
"""How the wizard's box for a key is typed, where that differs from the YAML (the help shows the box's form only,
so the wizard has one syntax)."""


def default_is_empty(key: str) -> bool:
    """True for keys whose default is None: leaving them unset and setting them to "off" mean the same."""
    field_info = RunConfig.model_fields.get(key) or DatasetConfig.model_fields.get(key)
    return field_info is not None and field_info.default is None


def new_file_header(origin: str | None, path: Path) -> str:
    """The comment a config the wizard writes as a new file starts with: where it came from and how to run it.
    Review shows it too, so what is shown is what Save writes."""
    return f"Written by the ft-tui wizard ({origin or 'new config'}).\nRun it with: ft-tui train {path}"
