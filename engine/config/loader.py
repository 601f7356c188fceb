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
from engine.config.run_config import RunConfig

_NESTED_MODELS: dict[str, type[BaseModel]] = {"datasets": DatasetConfig, "test_datasets": DatasetConfig}


def load_config(path: str | Path) -> RunConfig:
    """Load and validate a config file; raises ConfigFileError (unreadable) or ConfigError (invalid)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigFileError(f"{path}: cannot be read ({error})") from None
    return parse_config_text(text, source=str(path))


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


MAX_DEPTH = 64
"""Deepest nesting a config may have (axolotl's deepest examples use about 6); deeper input is hostile or broken
and would otherwise end in a RecursionError."""
MAX_NODES = 50_000
"""Most values a config may expand to, counting each alias as a copy of what it names: a few hundred bytes of
nested anchors (an "alias bomb") would otherwise expand to billions of values while we read it."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing input nested deeper than MAX_DEPTH before its recursive composer overflows."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse YAML and remember the line of every key (`datasets.0.path` style), for error messages.

    The text is composed once into nodes, its expanded size and depth are bounded, duplicate keys are refused,
    and only then are Python values built from those same nodes.
    """
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node, source)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigFileError(f"{source}: not valid YAML{where}: {problem}") from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{source}: the top level must be a mapping of keys to values, like `base_model: ...`")
    duplicates = _duplicate_keys(node)
    if duplicates:
        raise ConfigError(duplicates, source)
    return data, _key_lines(node)


def _check_expansion(root: yaml.Node, source: str) -> None:
    """Refuse a document whose aliases expand past MAX_NODES values or MAX_DEPTH levels, or refer to themselves.

    Sizes are counted per distinct node (each alias shares its anchor's node), iteratively, so the check itself
    takes time and memory proportional to the text, not to the expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    in_progress: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = _children(node)
        if not children_done:
            if key in in_progress:
                raise ConfigFileError(f"{source}: line {node.start_mark.line + 1}: an alias refers to itself")
            in_progress.add(key)
            stack.append((node, True))
            for child in children:
                if id(child) in in_progress:
                    line = child.start_mark.line + 1
                    raise ConfigFileError(f"{source}: line {line}: an alias refers to the value that contains it")
                stack.append((child, False))
            continue
        in_progress.discard(key)
        size[key] = 1 + sum(size[id(child)] for child in children)
        depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
        if size[key] > MAX_NODES or depth[key] > MAX_DEPTH:
            line = node.start_mark.line + 1
            what = f"more than {MAX_NODES} values" if size[key] > MAX_NODES else f"more than {MAX_DEPTH} levels"
            raise ConfigFileError(
                f"{source}: line {line}: its anchors and aliases expand to {what}; write the values out instead"
            )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _duplicate_keys(node: yaml.Node | None, prefix: str = "") -> list[ConfigProblem]:
    """A key given twice in one mapping: YAML loaders silently keep the last, so `lora_r: 16` then `lora_r: 64`
    would train with 64 while the reader of the file sees 16 first. Both lines are named."""
    problems: list[ConfigProblem] = []
    if isinstance(node, yaml.MappingNode):
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key != "<<":
                if key in first_line:
                    problems.append(
                        ConfigProblem(
                            key=f"{prefix}{key}",
                            message=f"given twice, on lines {first_line[key]} and {line}",
                            fix="keep one of them; YAML would silently use the last",
                            line=line,
                        )
                    )
                first_line.setdefault(key, line)
            problems.extend(_duplicate_keys(value_node, f"{prefix}{key}."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems.extend(_duplicate_keys(item, f"{prefix}{index}."))
    return problems


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines.setdefault(key, key_node.start_mark.line + 1)
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
