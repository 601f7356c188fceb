"""`ft-tui init --plain`: the essential questions as plain prompts, writing the same validated YAML as the wizard."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import ConfigError, RunConfig, save_config
from engine.config.choices import OFFERED_DATASET_TYPES, TRAINING_METHODS, method_changes, method_label
from engine.rules import check_config, has_errors
from engine.runs.paths import CONFIG_FILE
from tui.state import edit_config, edit_dataset, help_text

METHODS = dict(TRAINING_METHODS)
FORMATS = OFFERED_DATASET_TYPES


class Cancelled(Exception):
    """The user pressed Ctrl-C or Esc at a prompt; nothing is written."""


@dataclass(frozen=True)
class Question:
    """One config key asked as text; the answer is validated by building the config with it."""

    key: str
    message: str
    dataset: bool = False


QUESTIONS = (
    Question("base_model", "Base model (hub id or local folder)"),
    Question("path", "Training data (file or hub dataset id)", dataset=True),
    Question("sequence_len", "sequence_len (tokens)"),
    Question("num_epochs", "Epochs"),
    Question("learning_rate", "Learning rate"),
    Question("output_dir", "Output folder"),
)


def run_plain(output: Path | None) -> int:
    """Ask, validate, write. 0 when written, 1 when cancelled or the config has errors."""
    try:
        path = ask_and_write(output)
    except (Cancelled, EOFError):
        print("Cancelled; nothing was written.", file=sys.stderr)
        return 1
    return 0 if path is not None else 1


def ask_and_write(save_as: Path | None, **io: Any) -> Path | None:
    """The whole plain flow; `io` (input=, output=) lets tests drive prompt_toolkit with a pipe."""
    import questionary

    from engine.presets import DEFAULT_PRESET, list_presets, load_preset

    names = [info.name for info in list_presets()]
    preset = _answer(questionary.select("Start from which preset?", choices=names, default=DEFAULT_PRESET, **io))
    config = load_preset(preset)
    method = _answer(
        questionary.select("Training method", choices=list(METHODS), default=method_label(_adapter(config)), **io)
    )
    config = edit_config(config, method_changes(_adapter(config), METHODS[method]))
    for question in QUESTIONS:
        config = _ask_key(questionary, config, question, io)
        if question.key == "path":
            config = _ask_format(questionary, config, io)
    return _check_and_save(questionary, config, save_as, preset, io)


def _ask_format(questionary: Any, config: RunConfig, io: dict[str, Any]) -> RunConfig:
    """The data's format, right after its path: the detected one is the default, and rows it cannot read are
    refused at once. Keys of the other formats (the preset's `field_messages` under alpaca) are dropped."""
    from engine.config.datasets import keys_foreign_to
    from engine.data.formats.detect import detect_format
    from engine.data.inspect import inspect_dataset, sample_rows

    guess = detect_format(sample_rows(config.datasets[0])) or {}
    detected = guess.get("type") if guess.get("type") in FORMATS else None
    current = config.datasets[0].type_name()
    default = detected or (current if current in FORMATS else FORMATS[0])
    label = "Data format" + (f" (detected: {detected})" if detected else "")
    while True:
        kind = _answer(questionary.select(label, choices=list(FORMATS), default=default, **io))
        changes: dict[str, Any] = dict.fromkeys(keys_foreign_to(kind))
        if kind == detected:
            changes.update({key: value for key, value in guess.items() if key != "type"})
        trial = edit_dataset(config, {**changes, "type": kind})
        problem = inspect_dataset(trial.datasets[0])
        if problem is None:
            return trial
        print(f"✗ {problem.reason}\n  fix: {problem.fix}")


def _ask_key(questionary: Any, config: RunConfig, question: Question, io: dict[str, Any]) -> RunConfig:
    """Ask until the answer makes a valid config; the key's help is shown as the prompt's instruction.

    A refused answer is printed in full and asked again with the text as typed: a prompt's own error line is one
    row, cut at the terminal's width, which hides the fix at the end of a long path."""
    build = _builder(config, question)
    default = _current(config, question)
    while True:
        answer = _answer(
            questionary.text(f"{question.message}:", default=default, instruction=_short_help(question.key), **io)
        )
        problem = _problem(build, answer, question)
        if problem is None:
            return build(answer)
        print(f"✗ {problem}")
        default = answer


def _problem(build: Callable[[str], RunConfig], text: str, question: Question) -> str | None:
    try:
        trial = build(text)
    except ConfigError as error:
        return error.problems[0].one_line()
    return _answer_error(trial, question)


def _answer_error(config: RunConfig, question: Question) -> str | None:
    """What is wrong with this answer, from the rule catalog: the data path has readable data (its rows are
    checked with the format, asked next), any other key breaks no error rule that concerns it."""
    if question.dataset:
        from engine.data.inspect import inspect_dataset

        problem = inspect_dataset(config.datasets[0], check_rows=False)
        return f"{problem.reason}; {problem.fix}" if problem else None
    for finding in check_config(config, stages=("static",)):
        if finding.severity == "error" and question.key in finding.fields:
            return f"{finding.message}; fix: {finding.fix}"
    return None


def _builder(config: RunConfig, question: Question) -> Callable[[str], RunConfig]:
    def build(text: str) -> RunConfig:
        value = text.strip() or None
        if question.dataset:
            return edit_dataset(config, {question.key: value or ""})
        return edit_config(config, {question.key: value})

    return build


def _current(config: RunConfig, question: Question) -> str:
    if question.dataset:
        return config.datasets[0].path if config.datasets else ""
    value = getattr(config, question.key)
    return "" if value is None else str(value)


def _check_and_save(
    questionary: Any, config: RunConfig, save_as: Path | None, preset: str, io: dict[str, Any]
) -> Path | None:
    findings = check_config(config, stages=("static",))
    for finding in findings:
        print(f"{finding.severity}: {finding.message}\n  fix: {finding.fix}")
    if has_errors(findings):
        print("The config has errors (above); nothing was written. Fix them, or use the full wizard: ft-tui")
        return None
    target = save_as or Path(_answer(questionary.text("Save the config as:", default=CONFIG_FILE, **io)))
    while target.exists() and not _answer(questionary.confirm(f"{target} exists. Replace it?", default=False, **io)):
        target = Path(_answer(questionary.text("Save it under another name:", default=str(_free_name(target)), **io)))
    header = f"Written by `ft-tui init --plain` from preset {preset}.\nRun it with: ft-tui train {target}"
    save_config(config, target, header=header)
    print(f"Wrote {target}. Train with: ft-tui train {target}")
    return target


def _free_name(path: Path) -> Path:
    """`config-2.yml` beside `config.yml` (or -3, ...): the first name not taken, offered when replacing is declined,
    so the answers given are kept rather than thrown away."""
    number = 2
    while (candidate := path.with_name(f"{path.stem}-{number}{path.suffix}")).exists():
        number += 1
    return candidate


def _adapter(config: RunConfig) -> str | None:
    """The method the config trains with, as an `adapter` value (None: a full fine-tune)."""
    return config.adapter if config.uses_lora() else None


def _short_help(key: str) -> str:
    text = help_text(key)
    return f"({text.split('. ')[0].rstrip('.')})" if text else ""


def _answer(value: Any) -> Any:
    """questionary's `.ask()` returns None when the user interrupts; turn that into Cancelled."""
    answer = value.ask() if hasattr(value, "ask") else value
    if answer is None:
        raise Cancelled
    return answer
