"""Every error the engine raises shares one base, so the CLI reporter and the TUI notifier can render any of them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import engine
from engine.config import ConfigError, ConfigFileError, ConfigProblem
from engine.errors import EXIT_FAILED, EXIT_USAGE, FtTuiError, one_line


def engine_exception_classes() -> list[type[BaseException]]:
    """Each exception class defined in a module of engine/ (every module imported, none skipped)."""
    found = []
    for module_info in pkgutil.walk_packages(engine.__path__, "engine."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found.append(value)
    return found


def test_every_engine_exception_derives_from_the_common_base() -> None:
    classes = engine_exception_classes()
    names = {cls.__name__ for cls in classes}
    assert {"ConfigError", "PresetError", "TrainError", "DataError", "InferError", "RunLockError"} <= names
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, FtTuiError)] == []


def test_exit_codes_are_those_the_commands_document() -> None:
    """validate, preprocess, merge: 2 when the config cannot be read, 1 when it is wrong or the work fails."""
    assert ConfigFileError("x.yml: no such file").exit_code == EXIT_USAGE == 2
    assert ConfigError([ConfigProblem("lora_rr", "unknown key")]).exit_code == EXIT_FAILED == 1
    assert FtTuiError("anything").exit_code == 1


def test_a_config_error_is_one_message_and_one_line_per_problem() -> None:
    error = ConfigError([ConfigProblem("lora_rr", "unknown key", line=2), ConfigProblem("lr", "not a number")])
    assert error.message == "line 2: lora_rr: unknown key; lr: not a number"
    assert error.lines() == ["line 2: lora_rr: unknown key", "lr: not a number"]


def test_one_line_names_foreign_exceptions_by_type_and_follows_causes_on_request() -> None:
    assert one_line(FtTuiError("bad path\nsecond line")) == "bad path; second line"
    assert one_line(FtTuiError("no such file", fix="check `path`")) == "no such file; check `path`"
    assert one_line(ValueError("first\nsecond")) == "ValueError: first"
    try:
        try:
            raise KeyError("the real reason")
        except KeyError as inner:
            raise RuntimeError("wrapped\nnoise") from inner
    except RuntimeError as outer:
        assert one_line(outer) == "RuntimeError: wrapped"
        assert one_line(outer, innermost=True) == "KeyError: 'the real reason'"


def test_a_fix_given_when_raised_wins_over_the_class_default() -> None:
    from engine.presets import PresetError, PresetExistsError

    class Default(FtTuiError):
        fix = "the class's fix"

    assert Default("m").fix == "the class's fix"
    assert Default("m", fix="this one").fix == "this one"
    taken = PresetExistsError("mine", Path("mine.yml"))
    assert isinstance(taken, PresetError) and taken.message == "user preset 'mine' exists at mine.yml"
    assert taken.fix == "add --force to overwrite it"
