"""A JSON Schema of the config for editors: ft-tui's keys with their help, types, defaults and allowed values,
plus every other axolotl key from the catalogue, so an editor completes and checks keys as people type.

`ft-tui schema` prints it; the same schema ships in the package (ft-tui.schema.json, kept in sync by a test) and
every file ft-tui writes names it on its first line, the modeline yaml-language-server (VS Code, Neovim ...) reads.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from engine.config.axolotl_catalog import AxolotlKey, axolotl_catalog
from engine.config.axolotl_support import classify, classify_dataset_key
from engine.config.run_config import RunConfig

SCHEMA_FILE = "ft-tui.schema.json"
_JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}


def config_json_schema() -> dict[str, Any]:
    """The schema of a config file: unknown keys are refused, as ft-tui refuses them."""
    schema = RunConfig.model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    schema["title"] = "ft-tui config (axolotl's keys)"
    catalog = axolotl_catalog()
    properties = schema["properties"]
    for name, prop in properties.items():
        entry = catalog.top_level_key(name)
        properties[name] = _as_read(prop, entry is not None and "null" in entry.kinds)
    for entry in catalog.top_level.values():
        if entry.name not in properties:
            group = classify(entry.name)
            where = f"ft-tui {_VERDICT_WORDS[group.verdict]}: {group.reason}" if group else "renamed in axolotl"
            properties[entry.name] = _property(entry, where)
    schema["additionalProperties"] = False
    dataset = schema["$defs"]["DatasetConfig"]
    for entry in catalog.dataset.values():
        if entry.name not in dataset["properties"]:
            group = classify_dataset_key(entry.name)
            where = f"ft-tui {_VERDICT_WORDS[group.verdict]}: {group.reason}" if group else "renamed in axolotl"
            dataset["properties"][entry.name] = _property(entry, where)
    dataset["additionalProperties"] = False
    return schema


_NUMERIC_STRING = {"type": "string", "pattern": r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"}
_DESCRIPTIVE = {"title", "description", "default", "deprecated"}


def _as_read(prop: dict[str, Any], empty_allowed: bool) -> dict[str, Any]:
    """What the loader really accepts for a key: also an empty value where axolotl takes one (it then means the
    default), and a number written as a string (YAML reads `2e-5` as text; pydantic, like axolotl, converts)."""
    extra: list[dict[str, Any]] = []
    if prop.get("type") == "number":
        extra.append(_NUMERIC_STRING)
    allows_null = prop.get("type") == "null" or any(branch.get("type") == "null" for branch in prop.get("anyOf", []))
    if empty_allowed and not allows_null:
        extra.append({"type": "null"})
    if not extra:
        return prop
    described = {key: value for key, value in prop.items() if key in _DESCRIPTIVE}
    constraint = {key: value for key, value in prop.items() if key not in _DESCRIPTIVE}
    branches = constraint["anyOf"] if list(constraint) == ["anyOf"] else [constraint]
    return {**described, "anyOf": [*branches, *extra]}


_VERDICT_WORDS = {"ignored": "ignores it", "axolotl_only": "refuses it (runs under axolotl)", "refused": "refuses it"}


def _property(entry: AxolotlKey, where: str) -> dict[str, Any]:
    description = " ".join(part for part in (entry.description, f"(axolotl {entry.type}; {where})") if part)
    prop: dict[str, Any] = {"description": description}
    types = [kind for kind in entry.kinds if kind in _JSON_TYPES]
    if "any" not in entry.kinds and types:
        prop["type"] = types[0] if len(types) == 1 else types
    if entry.enum is not None:
        prop["enum"] = list(entry.enum) + ([None] if "null" in entry.kinds and None not in entry.enum else [])
    if entry.default is not None:
        prop["default"] = entry.default
    if entry.deprecated:
        prop["deprecated"] = True
    return prop


def shipped_schema_path() -> Path:
    """The schema file installed with the package, which written configs point editors at."""
    return Path(str(resources.files("engine.config").joinpath(SCHEMA_FILE)))


def schema_modeline(folder: Path | None = None) -> str:
    """The first line of every file ft-tui writes: yaml-language-server's pointer to the schema, relative to the
    `folder` the file is written in (default: the current one). An absolute path would name this machine's
    install folder, dead once the config is copied to the GPU server or a colleague's checkout."""
    shipped = shipped_schema_path()
    try:
        where = Path(os.path.relpath(shipped, (folder or Path.cwd()).resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        where = shipped.as_posix()
    return f"# yaml-language-server: $schema={where}"


if __name__ == "__main__":
    import json

    print(json.dumps(config_json_schema(), indent=1))
