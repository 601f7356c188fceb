"""`ft-tui init --plain` driven through prompt_toolkit's pipe input, as a person at a plain terminal would."""

from __future__ import annotations

from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from engine.config import RunConfig, load_config
from engine.presets import load_preset
from engine.rules import check_config, has_errors
from tests.tui.conftest import TARGET
from tui.plain import Cancelled, ask_and_write

ENTER = "\r"
DOWN = "\x1b[B"
CTRL_C = "\x03"


def run_with_keys(keys: str, output: Path | None) -> Path | None:
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()  # answers end here: a prompt left waiting ends the flow instead of hanging the test
        return ask_and_write(output, input=pipe, output=DummyOutput())


def test_accepting_every_default_writes_the_default_preset(tmp_path: Path) -> None:
    target = tmp_path / "plain.yml"
    written = run_with_keys(ENTER * 10, target)
    assert written == target
    saved = load_config(target)
    assert saved == load_preset("smollm2-135m-lora")
    assert not has_errors(check_config(saved, TARGET))
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("# Written by `ft-tui init --plain`")


def test_typed_answers_are_validated_and_written(tmp_path: Path) -> None:
    target = tmp_path / "plain.yml"
    keys = ENTER + ENTER + ENTER + ENTER + ENTER  # preset, method, base model, data path, format
    keys += "\x7f" * 3 + "abc" + ENTER  # sequence_len "abc" is refused ...
    keys += "\x7f" * 3 + "256" + ENTER  # ... until it is a number
    keys += ENTER + ENTER + ENTER  # epochs, learning rate, output folder
    run_with_keys(keys, target)
    assert load_config(target).sequence_len == 256


def test_the_method_question_sets_adapter(tmp_path: Path) -> None:
    target = tmp_path / "plain.yml"
    run_with_keys(ENTER + DOWN + DOWN + ENTER + ENTER * 8, target)
    saved = load_config(target)
    assert saved.adapter is None and not saved.uses_lora()


def test_an_existing_file_is_kept_unless_replacing_is_confirmed(tmp_path: Path) -> None:
    target = tmp_path / "keep.yml"
    target.write_text("base_model: keep\n", encoding="utf-8")
    with pytest.raises(Cancelled):
        run_with_keys(ENTER * 9 + "n" + CTRL_C, target)
    assert target.read_text(encoding="utf-8") == "base_model: keep\n"


def test_declining_to_replace_asks_for_another_name_and_keeps_the_answers(tmp_path: Path) -> None:
    target = tmp_path / "keep.yml"
    target.write_text("base_model: keep\n", encoding="utf-8")
    (tmp_path / "keep-2.yml").write_text("base_model: keep too\n", encoding="utf-8")
    keys = ENTER * 5 + "\x7f" * 3 + "256" + ENTER + ENTER * 3  # defaults, but sequence_len 256
    written = run_with_keys(keys + "n" + ENTER, target)  # decline; accept the name offered
    assert written == tmp_path / "keep-3.yml" and load_config(written).sequence_len == 256
    assert target.read_text(encoding="utf-8") == "base_model: keep\n"
    assert (tmp_path / "keep-2.yml").read_text(encoding="utf-8") == "base_model: keep too\n"


def test_a_refused_path_is_printed_whole_with_its_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A prompt's error line is cut at the terminal's width; the refusal is printed above the prompt instead."""
    missing = tmp_path / ("a-long-folder-name-" * 8) / "train.jsonl"
    keys = ENTER * 3 + ERASE * 3 + str(missing) + ENTER + CTRL_C
    with pytest.raises(Cancelled):
        run_with_keys(keys, tmp_path / "plain.yml")
    printed = capsys.readouterr().out
    [line] = [line for line in printed.splitlines() if line.startswith("✗ ")]
    from engine.data.inspect import inspect_dataset
    from tui.state import edit_dataset

    problem = inspect_dataset(edit_dataset(load_preset("smollm2-135m-lora"), {"path": str(missing)}).datasets[0])
    assert problem is not None and line == f"✗ {problem.reason}; {problem.fix}"
    assert str(missing) in line


def test_interrupting_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "never.yml"
    with pytest.raises(Cancelled):
        run_with_keys(ENTER + CTRL_C, target)
    assert not target.exists()


ERASE = "\x7f" * 80
UP = "\x1b[A"


def test_a_bad_data_path_is_refused_when_typed_and_nothing_is_lost(tmp_path: Path) -> None:
    target = tmp_path / "plain.yml"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    keys = ENTER * 3  # preset, method, base model
    keys += ERASE + str(tmp_path / "missing.jsonl") + ENTER  # refused: does not exist
    keys += ERASE + str(empty) + ENTER  # refused: empty
    keys += ERASE + "presets/data/ft_tui_persona.jsonl" + ENTER  # accepted
    keys += ENTER  # format
    keys += "\x7f" * 3 + "256" + ENTER + ENTER + ENTER + ENTER  # sequence_len, epochs, learning rate, output
    assert run_with_keys(keys, target) == target
    saved = load_config(target)
    assert saved.datasets[0].path == "presets/data/ft_tui_persona.jsonl" and saved.sequence_len == 256


def test_an_absurd_learning_rate_is_refused_when_typed(tmp_path: Path) -> None:
    target = tmp_path / "plain.yml"
    keys = ENTER * 7  # preset ... epochs
    keys += ERASE + "5" + ENTER  # learning_rate above 1: refused
    keys += ERASE + "0.0002" + ENTER + ENTER  # accepted; output folder
    run_with_keys(keys, target)
    assert load_config(target).learning_rate == 0.0002


def test_the_format_is_asked_after_the_path_with_the_detected_default_and_only_its_keys(tmp_path: Path) -> None:
    target = tmp_path / "plain.yml"
    rows = tmp_path / "alpaca.jsonl"
    rows.write_text('{"instruction": "Say hi", "input": "", "output": "hi"}\n' * 3)
    keys = ENTER * 3 + ERASE + str(rows) + ENTER
    keys += UP + ENTER  # chat_template cannot read these rows: refused, asked again
    keys += ENTER  # the detected default, alpaca
    keys += ENTER * 4
    assert run_with_keys(keys, target) == target
    entry = load_config(target).datasets[0]
    assert entry.type == "alpaca"
    assert entry.model_fields_set == {"path", "type"}
    assert "field_messages" not in target.read_text() and "roles_to_train" not in target.read_text()


@pytest.mark.parametrize("presses", [0, 1, 2])
def test_each_method_sets_what_the_methods_owner_says(
    tmp_path: Path, presses: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same choice the wizard's Method menu makes (engine.config.choices), with the same consequences; the
    config is caught before the checks (QLoRA on this CPU target would not be written)."""
    from engine.config.choices import TRAINING_METHODS, method_changes
    from tui import plain
    from tui.state import edit_config

    built: list[RunConfig] = []
    monkeypatch.setattr(plain, "_check_and_save", lambda _q, config, *_args: built.append(config))
    run_with_keys(ENTER + DOWN * presses + ENTER + ENTER * 8, tmp_path / "plain.yml")
    preset = load_preset("smollm2-135m-lora")
    expected = edit_config(preset, method_changes(preset.adapter, TRAINING_METHODS[presses][1]))
    (saved,) = built
    assert (saved.adapter, saved.load_in_4bit, saved.load_in_8bit) == (
        expected.adapter,
        expected.load_in_4bit,
        expected.load_in_8bit,
    )
