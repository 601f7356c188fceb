"""axolotl's own key catalogue (taken from its pydantic schema at a pinned release), shipped as data.

axolotl is not a dependency: `tools/gen_axolotl_catalog.py` reads its schema where it is installed and writes
`axolotl_keys.json` beside this module. The loader uses it to tell a real axolotl key from a typo, and the
rule catalog to say what ft-tui does with each key it does not model itself.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel

CATALOG_FILE = "axolotl_keys.json"


@dataclass(frozen=True)
class AxolotlKey:
    """One key of axolotl's config as its schema declares it."""

    name: str
    kinds: tuple[str, ...]
    """JSON kinds the value may take: string, integer, number, boolean, array, object, null, any."""
    type: str
    default: Any
    description: str
    enum: tuple[Any, ...] | None = None
    deprecated: str | None = None
    """axolotl's deprecation message, when the key is deprecated."""
    renamed_to: str | None = None
    """The key axolotl moves the value to, when the key was renamed."""
    aliases: tuple[str, ...] = ()
    """Other spellings axolotl accepts for the same key (its python field name beside a YAML alias)."""
    refused: bool = False
    """axolotl raises an error when the key is set (a feature it removed)."""
    plugin: str | None = None
    """The bundled axolotl plugin whose arguments include this key."""
    not_in_schema: bool = False
    """Used by axolotl's own example configs but absent from its schema, so axolotl ignores it."""


@dataclass(frozen=True, eq=False)
class AxolotlCatalog:
    version: str
    source: str
    top_level: dict[str, AxolotlKey]
    dataset: dict[str, AxolotlKey]

    aliases: dict[str, AxolotlKey]
    """Top-level entries by their other spellings."""

    def top_level_key(self, name: str) -> AxolotlKey | None:
        """The catalogue entry for a top-level key, by its name or one of its aliases."""
        return self.top_level.get(name) or self.aliases.get(name)


@cache
def axolotl_catalog() -> AxolotlCatalog:
    """The shipped catalogue, read once."""
    raw = json.loads(resources.files("engine.config").joinpath(CATALOG_FILE).read_text(encoding="utf-8"))
    top_level = {entry["name"]: _entry(entry) for entry in raw["top_level"]}
    return AxolotlCatalog(
        version=raw["axolotl_version"],
        source=raw["source"],
        top_level=top_level,
        dataset={entry["name"]: _entry(entry) for entry in raw["dataset"]},
        aliases={alias: key for key in top_level.values() for alias in key.aliases},
    )


def _entry(raw: dict[str, Any]) -> AxolotlKey:
    return AxolotlKey(
        name=raw["name"],
        kinds=tuple(raw["kinds"]),
        type=raw["type"],
        default=raw.get("default"),
        description=raw.get("description", ""),
        enum=tuple(raw["enum"]) if raw.get("enum") is not None else None,
        deprecated=raw.get("deprecated"),
        renamed_to=raw.get("renamed_to"),
        aliases=tuple(raw.get("aliases", ())),
        refused=bool(raw.get("refused")),
        plugin=raw.get("plugin"),
        not_in_schema=bool(raw.get("not_in_schema")),
    )


def kinds_of(annotation: Any) -> set[str]:
    """The JSON kinds a pydantic annotation accepts; one function for axolotl's schema and ours, so the two
    are compared on the same terms."""
    if annotation is typing.Any or annotation is object:
        return {"any"}
    if annotation is None or annotation is type(None):
        return {"null"}
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return kinds_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return set().union(*(kinds_of(arg) for arg in typing.get_args(annotation)))
    if origin is typing.Literal:
        return {value_kind(value) for value in typing.get_args(annotation)}
    base = origin or annotation
    if isinstance(base, type):
        if issubclass(base, bool):
            return {"boolean"}
        if issubclass(base, enum.Enum):
            return {value_kind(member.value) for member in base}
        if issubclass(base, int):
            return {"integer"}
        if issubclass(base, float):
            return {"number"}
        if issubclass(base, str):
            return {"string"}
        if issubclass(base, list | tuple | set | frozenset):
            return {"array"}
        if issubclass(base, dict) or issubclass(base, BaseModel):
            return {"object"}
    return {"any"}


def enum_of(annotation: Any) -> list[Any] | None:
    """The allowed values when an annotation is a closed set (a Literal or an Enum), else None."""
    values: list[Any] = []
    for arg in _flatten(annotation):
        if typing.get_origin(arg) is typing.Literal:
            values.extend(typing.get_args(arg))
        elif isinstance(arg, type) and issubclass(arg, enum.Enum):
            values.extend(member.value for member in arg)
        elif arg is not type(None):
            return None
    return values or None


def _flatten(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) for leaf in _flatten(arg)]
    return [annotation]


def value_kind(value: Any) -> str:
    """The JSON kind of a literal value, as the catalogue records kinds (also used by tools/axolotl_schema_ast.py)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"
