"""Reading a YAML config into a RunConfig, with line numbers and did-you-mean for every mistake."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from engine.config.datasets import AlpacaFieldMapping, DatasetConfig
from engine.config.errors import ConfigError, ConfigFileError, ConfigProblem
from engine.config.paths import resolve_config_paths
from engine.config.run_config import RunConfig

_NESTED_MODELS: dict[str, type[BaseModel]] = {"datasets": DatasetConfig, "test_datasets": DatasetConfig}


def load_config(path: str | Path) -> RunConfig:
    """Load and validate a config file; raises ConfigFileError (unreadable) or ConfigError (invalid).

    Relative inputs found next to the file become absolute (engine.config.paths has the rule)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(
            f"{path}: no such file; check the path (`ft-tui presets list` names the built-in configs)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigFileError(f"{path}: cannot be read ({error})") from None
    data, lines = _parse_yaml(text, str(path))
    return parse_config_dict(resolve_config_paths(data, path.parent.absolute()), source=str(path), key_lines=lines)


def parse_config_text(text: str, source: str = "config") -> RunConfig:
    """Validate YAML text, reporting problems with the line they stand on."""
    data, lines = _parse_yaml(text, source)
    return parse_config_dict(data, source=source, key_lines=lines)


def parse_config_dict(
    data: Mapping[str, Any], source: str = "config", key_lines: Mapping[str, int] | None = None
) -> RunConfig:
    """Validate a plain mapping (from YAML, the wizard or CLI overrides) into a RunConfig."""
    key_lines = key_lines or {}
    problems = _unknown_key_problems(data, key_lines)
    if problems:
        raise ConfigError(problems, source)
    try:
        return RunConfig.model_validate(dict(data))
    except ValidationError as error:
        raise ConfigError(_validation_problems(error, key_lines), source) from None


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse YAML and remember the line of every key (`datasets.0.path` style), for error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigFileError(f"{source}: not valid YAML{where}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{source}: the top level must be a mapping of keys to values, like `base_model: ...`")
    return data, _key_lines(node)


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines[key] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, key + "."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[f"{prefix}{index}"] = item.start_mark.line + 1
            lines.update(_key_lines(item, f"{prefix}{index}."))
    return lines


def _unknown_key_problems(data: Mapping[str, Any], key_lines: Mapping[str, int]) -> list[ConfigProblem]:
    """Unknown keys at the top level and inside dataset entries, each with the closest known key."""
    problems = [_unknown_key(key, RunConfig, key, key_lines) for key in data if key not in RunConfig.model_fields]
    for list_key, model in _NESTED_MODELS.items():
        entries = data.get(list_key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            for key in entry:
                if key not in model.model_fields:
                    problems.append(_unknown_key(key, model, f"{list_key}.{index}.{key}", key_lines))
            if isinstance(entry.get("type"), dict):
                for key in entry["type"]:
                    if key not in AlpacaFieldMapping.model_fields:
                        path = f"{list_key}.{index}.type.{key}"
                        problems.append(_unknown_key(key, AlpacaFieldMapping, path, key_lines))
    return problems


def _unknown_key(key: str, model: type[BaseModel], path: str, key_lines: Mapping[str, int]) -> ConfigProblem:
    return ConfigProblem(
        key=path,
        message="unknown key",
        fix=_did_you_mean(str(key), list(model.model_fields)),
        line=key_lines.get(path),
    )


def _did_you_mean(key: str, known: list[str]) -> str:
    """axolotl silently ignores a misspelt key; we name the key the user most likely meant."""
    matches = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if matches:
        return f"did you mean `{matches[0]}`?"
    return "remove it, or see `ft-tui validate --keys` for every key"


def _validation_problems(error: ValidationError, key_lines: Mapping[str, int]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"] if not _is_union_branch(part)]
        path = ".".join(loc)
        problems.append(
            ConfigProblem(
                key=path,
                message=_describe(item),
                fix=_type_fix(loc),
                line=key_lines.get(path),
            )
        )
    return sorted(_dedupe(problems), key=lambda problem: problem.line or 0)


def _is_union_branch(part: object) -> bool:
    """pydantic names the union member it tried (`str`, `list[str]` ...); users only care about the key."""
    return isinstance(part, str) and ((part[:1].islower() and "[" in part) or part in _UNION_TAGS)


_UNION_TAGS = {"str", "bool", "int", "float", "list", "dict", "literal['auto']", "AlpacaFieldMapping", "function-after"}


def _describe(item: Mapping[str, Any]) -> str:
    message = str(item["msg"])
    value = item.get("input")
    if isinstance(value, str | int | float | bool) and len(repr(value)) < 60:
        return f"{message[:1].lower()}{message[1:]} (got {value!r})"
    return message[:1].lower() + message[1:]


def _type_fix(loc: list[str]) -> str:
    field = RunConfig.model_fields.get(loc[0]) if loc else None
    if field is None or not field.description or len(loc) > 1:
        return ""
    return "expected: " + field.description.split(". ")[0].rstrip(".")


def _dedupe(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """A value failing every branch of a union yields one problem per branch; keep one per key."""
    seen: dict[str, ConfigProblem] = {}
    for problem in problems:
        seen.setdefault(problem.key, problem)
    return list(seen.values())
