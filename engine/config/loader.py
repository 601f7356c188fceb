"""Reading a YAML config into a RunConfig, with line numbers and did-you-mean for every mistake."""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices, BaseModel, ValidationError

from engine.config.axolotl_catalog import AxolotlKey, axolotl_catalog, kinds_of
from engine.config.datasets import AlpacaFieldMapping, DatasetConfig
from engine.config.errors import ConfigError, ConfigFileError, ConfigProblem, ConfigTooLargeError
from engine.config.paths import resolve_config_paths
from engine.config.run_config import RunConfig
from engine.errors import FtTuiError
from engine.nesting import MAX_DEPTH, too_deep_message
from engine.wording import closest

_NESTED_LISTS = ("datasets", "test_datasets")
"""Keys holding lists of dataset entries, whose keys are checked against the dataset catalogue."""


def load_config(path: str | Path) -> RunConfig:
    """Load and validate a config file; raises ConfigFileError (unreadable) or ConfigError (invalid).

    Relative inputs found next to the file become absolute (engine.config.paths has the rule)."""
    path = Path(path)
    text = read_config_text(path)
    data, lines = _parse_yaml(text, str(path))
    return parse_config_dict(resolve_config_paths(data, path.parent.absolute()), source=str(path), key_lines=lines)


MAX_CONFIG_BYTES = 16 * 2**20
"""Largest config file read (axolotl's biggest examples are a few KiB): a path like /dev/zero or a log file given
by mistake would otherwise be read whole into memory."""


def read_config_text(path: Path) -> str:
    """The text of a config file; only a regular file of at most MAX_CONFIG_BYTES is read, so a device (/dev/zero)
    or a FIFO is refused at once instead of filling memory or blocking forever."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ConfigFileError(
            f"{path}: no such file; check the path (`ft-tui presets list` names the built-in configs)"
        ) from None
    except OSError as error:
        raise ConfigFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    if stat.S_ISDIR(status.st_mode):
        raise ConfigFileError(f"{path}: is a folder, not a config file; give the path of a .yml file")
    if not stat.S_ISREG(status.st_mode):
        raise ConfigFileError(f"{path}: is not a regular file (a device, pipe or socket); give the path of a .yml file")
    if status.st_size > MAX_CONFIG_BYTES:
        raise ConfigFileError(
            f"{path}: is {status.st_size / 2**20:.0f} MiB, larger than a config can be "
            f"({MAX_CONFIG_BYTES // 2**20} MiB); give the path of a .yml file"
        )
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_CONFIG_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigFileError(f"{path}: cannot be read ({error})") from None


def parse_config_text(text: str, source: str = "config") -> RunConfig:
    """Validate YAML text, reporting problems with the line they stand on."""
    data, lines = _parse_yaml(text, source)
    return parse_config_dict(data, source=source, key_lines=lines)


def parse_config_dict(
    data: Mapping[str, Any], source: str = "config", key_lines: Mapping[str, int] | None = None
) -> RunConfig:
    """Validate a plain mapping (from YAML, the wizard or CLI overrides) into a RunConfig.

    Keys ft-tui models are validated by the model; keys only axolotl has are checked against axolotl's catalogue
    and kept; keys axolotl renamed move to their new name, as axolotl moves them; anything else is an error.
    """
    key_lines = key_lines or {}
    data, renamed = _apply_renames(_drop_empty_values(dict(data)))
    problems = _unknown_key_problems(data, key_lines) + _axolotl_value_problems(data, key_lines)
    if problems:
        raise ConfigError(problems, source)
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_validation_problems(error, key_lines), source) from None
    config._renamed.update(renamed)
    return config


def _model_keys(model: type[BaseModel]) -> set[str]:
    """Every spelling a model accepts: field names and their validation aliases."""
    keys = set(model.model_fields)
    for field in model.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            keys.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            keys.add(alias)
    return keys


def _drop_empty_values(data: dict[str, Any]) -> dict[str, Any]:
    """An empty value (`lora_r:`) means "not set" where axolotl's type allows an empty value, so its default
    applies; ft-tui does the same for its keys, at the top level and in dataset entries. Where axolotl refuses
    an empty value (`output_dir:`), ft-tui refuses it too."""
    catalog = axolotl_catalog()
    cleaned = {
        key: value
        for key, value in data.items()
        if not _empty_means_default(RunConfig, key, value, catalog.top_level.get(str(key)))
    }
    for list_key in _NESTED_LISTS:
        entries = cleaned.get(list_key)
        if isinstance(entries, list):
            cleaned[list_key] = [
                {
                    k: v
                    for k, v in entry.items()
                    if not _empty_means_default(DatasetConfig, k, v, catalog.dataset.get(k))
                }
                if isinstance(entry, dict)
                else entry
                for entry in entries
            ]
    return cleaned


def _empty_means_default(model: type[BaseModel], key: object, value: Any, axolotl: AxolotlKey | None) -> bool:
    field = model.model_fields.get(str(key))
    if value is not None or field is None or "null" in kinds_of(field.annotation):
        return False
    return axolotl is None or "null" in axolotl.kinds


def _apply_renames(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Keys axolotl renamed: the value moves to the new key unless that is set too (then, as in axolotl, the new
    key wins); an alias of a key ft-tui models becomes that key."""
    catalog = axolotl_catalog()
    ours = _model_keys(RunConfig)
    renamed: dict[str, str] = {}
    for key in list(data):
        entry = catalog.top_level_key(key) if key not in ours else None
        if entry is None:
            continue
        new = entry.renamed_to or (entry.name if entry.name != key else None)
        if new is None:
            continue
        value = data.pop(key)
        if data.get(new) is None:
            data[new] = value
        if entry.renamed_to:
            renamed[key] = new
    return data, renamed


MAX_NODES = 50_000
"""Most values a config may expand to, counting each alias as a copy of what it names: a few hundred bytes of
nested anchors (an "alias bomb") would otherwise expand to billions of values while we read it."""


class _TooDeepError(yaml.composer.ComposerError, FtTuiError):
    """The composer went past MAX_DEPTH (a ComposerError, so PyYAML's own handling applies; an FtTuiError like every
    engine exception)."""


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
                raise _TooDeepError(None, None, too_deep_message(), mark)
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # stub: int; mappings pass a node
        finally:
            self._depth -= 1


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse YAML and remember the line of every key (`datasets.0.path` style), for error messages.

    The text is composed once into nodes, its expanded size and depth are bounded, duplicate keys are refused,
    and only then are Python values built from those same nodes.
    """
    data, node = _compose_bounded(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"{source}: the top level must be a mapping of keys to values, like `base_model: ...`")
    duplicates = _duplicate_keys(node)
    if duplicates:
        raise ConfigError(duplicates, source)
    return data, _key_lines(node)


def _compose_bounded(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """The value of a YAML text and its node tree, read with its depth and expanded size bounded; any problem
    (a NUL byte, bad syntax, a nest or alias bomb) is one ConfigFileError naming where."""
    loader = None
    try:
        loader = _BoundedLoader(text)  # the reader checks the characters here: a NUL byte fails at once
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node, source)
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.reader.ReaderError as error:
        raise ConfigFileError(
            f"{source}: holds a control character ({error.character:#04x}) at character {error.position}, which "
            "YAML does not allow; remove it (a config is plain UTF-8 text)"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        if isinstance(error, _TooDeepError):
            message = f"{source}: not valid YAML{where}: {problem}; write it with fewer levels"
            raise ConfigTooLargeError(message) from None
        raise ConfigFileError(f"{source}: not valid YAML{where}: {problem}") from None
    finally:
        if loader is not None:
            loader.dispose()


def parse_yaml_value(text: str, source: str) -> Any:
    """One YAML value (a command-line override), bounded as a config file is: the same depth and alias limits."""
    return _compose_bounded(text, source)[0]


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
            raise ConfigTooLargeError(
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
    """Keys neither ft-tui nor axolotl knows, at the top level and inside dataset entries, each with the closest
    known key when one is close."""
    catalog = axolotl_catalog()
    top_known = _model_keys(RunConfig)
    top_axolotl = set(catalog.top_level) | set(catalog.aliases)
    problems = [
        _unknown_key(key, top_known | top_axolotl, key, key_lines)
        for key in data
        if key not in top_known and catalog.top_level_key(str(key)) is None
    ]
    entry_known = _model_keys(DatasetConfig) | set(catalog.dataset)
    for list_key in _NESTED_LISTS:
        entries = data.get(list_key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            for key in entry:
                if key not in entry_known:
                    problems.append(_unknown_key(key, entry_known, f"{list_key}.{index}.{key}", key_lines))
            if isinstance(entry.get("type"), dict):
                for key in entry["type"]:
                    if key not in AlpacaFieldMapping.model_fields:
                        path = f"{list_key}.{index}.type.{key}"
                        problems.append(_unknown_key(key, set(AlpacaFieldMapping.model_fields), path, key_lines))
    return problems


def _unknown_key(key: object, known: set[str], path: object, key_lines: Mapping[str, int]) -> ConfigProblem:
    if key is None:  # `null:` or `~:` in YAML, or a line that starts with a colon
        return ConfigProblem(
            key=str(path).replace("None", "null"),
            message="a key with no name (YAML reads `null:`, `~:` or a bare `:` as an empty key)",
            fix="write the setting's name before the colon, or remove the line",
        )
    path = str(path)
    return ConfigProblem(
        key=path,
        message="unknown key",
        fix=_did_you_mean(str(key), sorted(known)),
        line=key_lines.get(path),
    )


def _did_you_mean(key: str, known: list[str]) -> str:
    """axolotl silently ignores a misspelt key; we name the key the user most likely meant, but only when it is
    close: a far-fetched guess (`fused_attn_kernel` -> `hf_use_auth_token`) misleads more than it helps."""
    match = closest(key, known, cutoff=SUGGESTION_CUTOFF)
    if match:
        return f"did you mean `{match}`?"
    return "remove it, or see `ft-tui validate --keys` for every key"


SUGGESTION_CUTOFF = 0.8
"""difflib similarity a suggestion needs: `lora_rr` -> `lora_r` is 0.92, `learning_rat` -> `learning_rate` 0.96."""

_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _axolotl_value_problems(data: Mapping[str, Any], key_lines: Mapping[str, int]) -> list[ConfigProblem]:
    """A value of the wrong kind for an axolotl-only key (the model cannot check what it does not declare)."""
    problems = []
    for key, value in data.items():
        entry = axolotl_catalog().top_level_key(str(key))
        if entry is None or key in RunConfig.model_fields or value is None or "any" in entry.kinds:
            continue
        if not _has_kind(value, entry.kinds):
            kinds = " or ".join(kind for kind in entry.kinds if kind != "null")
            problems.append(
                ConfigProblem(
                    key=str(key),
                    message=f"axolotl expects {kinds} (got {value!r:.60})",
                    fix=f"axolotl's type: {entry.type}",
                    line=key_lines.get(str(key)),
                )
            )
    return problems


def _has_kind(value: Any, kinds: tuple[str, ...]) -> bool:
    """pydantic's lax mode, as axolotl validates: a bool passes as an integer or number, an int as a number."""
    return any(isinstance(value, _KIND_TYPES.get(kind, ())) for kind in kinds)


def _validation_problems(error: ValidationError, key_lines: Mapping[str, int]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"] if not _is_union_branch(part)]
        path = ".".join(loc)
        empty = _empty_problem(loc, item.get("input"))
        problems.append(
            ConfigProblem(
                key=path,
                message=empty[0] if empty else _describe(item),
                fix=empty[1] if empty else _type_fix(loc),
                line=key_lines.get(path),
            )
        )
    return sorted(_dedupe(problems), key=lambda problem: problem.line or 0)


def _empty_problem(loc: list[str], value: Any) -> tuple[str, str] | None:
    """A key that must have a value, left empty (a cleared wizard field, `output_dir:`): say so, and name the
    value to type, its default, rather than the type pydantic expected."""
    field = RunConfig.model_fields.get(loc[0]) if len(loc) == 1 else None
    if field is None or not (value is None or (isinstance(value, str) and not value.strip())):
        return None
    default = field.get_default(call_default_factory=True)
    if default is None or default == "":
        return None
    return "cannot be empty", f"type a value, e.g. the default {default}"


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
