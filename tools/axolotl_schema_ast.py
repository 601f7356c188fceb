"""Read axolotl's config schema from a source checkout without importing it (the fallback of
gen_axolotl_catalog.py where axolotl's imports cannot be satisfied).

Each pydantic class of `src/axolotl/utils/schemas/*.py` is read from its syntax tree: annotated fields, their
`Field(...)` default, alias and description, and its base classes, so AxolotlInputConfig's fields are gathered
through its bases as pydantic would. Kinds are read from the annotation text. Renames and deprecation messages
come from the same tables and validators the import path uses.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config.axolotl_catalog import value_kind

_SIMPLE_KINDS = {
    "str": "string",
    "int": "integer",
    "PositiveInt": "integer",
    "float": "number",
    "bool": "boolean",
    "dict": "object",
    "Dict": "object",
    "list": "array",
    "List": "array",
    "tuple": "array",
    "set": "array",
    "Any": "any",
    "None": "null",
}


@dataclass
class _Class:
    bases: list[str]
    fields: dict[str, ast.AnnAssign] = field(default_factory=dict)
    is_enum: bool = False


def read_schema(source: Path) -> dict[str, list[dict[str, Any]]]:
    """`top_level` and `dataset` entries (the catalogue's layout) from `source`, a checkout's root."""
    classes = _classes(sorted((source / "src" / "axolotl" / "utils" / "schemas").glob("*.py")))
    top_level = [_entry(name, node, classes) for name, node in _fields("AxolotlInputConfig", classes).items()]
    dataset: dict[str, dict[str, Any]] = {}
    for model in ("SFTDataset", "DPODataset", "KTODataset", "StepwiseSupervisedDataset"):
        for name, node in _fields(model, classes).items():
            dataset.setdefault(name, _entry(name, node, classes)).setdefault("used_by", []).append(model)
    return {"top_level": top_level, "dataset": list(dataset.values())}


def _classes(files: list[Path]) -> dict[str, _Class]:
    classes: dict[str, _Class] = {}
    for path in files:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(base) for base in node.bases]
                info = _Class(bases=bases, is_enum=any("Enum" in base for base in bases))
                for statement in node.body:
                    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                        info.fields[statement.target.id] = statement
                classes[node.name] = info
    return classes


def _fields(name: str, classes: dict[str, _Class]) -> dict[str, ast.AnnAssign]:
    """A class's fields with its bases', the most derived definition winning (pydantic's rule)."""
    info = classes.get(name)
    if info is None:
        return {}
    gathered: dict[str, ast.AnnAssign] = {}
    for base in reversed(info.bases):
        gathered.update(_fields(base, classes))
    gathered.update(info.fields)
    return gathered


def _entry(name: str, node: ast.AnnAssign, classes: dict[str, _Class]) -> dict[str, Any]:
    call = node.value if isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "Field" else None
    keywords = {keyword.arg: keyword.value for keyword in call.keywords} if call else {}
    alias = _literal(keywords.get("alias"))
    default_node = keywords.get("default", call.args[0] if call and call.args else None) if call else node.value
    description = _literal(keywords.get("description")) or ""
    extra = _literal(keywords.get("json_schema_extra"))
    if isinstance(extra, dict):
        description = description or str(extra.get("description") or "")
    entry: dict[str, Any] = {
        "name": alias or name,
        "kinds": sorted(_kinds(node.annotation, classes)),
        "type": ast.unparse(node.annotation),
        "default": _literal(default_node),
        "description": " ".join(description.split()),
    }
    if alias and alias != name:
        entry["aliases"] = [name]
    deprecated = _literal(keywords.get("deprecated"))
    if isinstance(deprecated, str):
        entry["deprecated"] = " ".join(deprecated.split())
    return entry


def _kinds(annotation: ast.expr, classes: dict[str, _Class]) -> set[str]:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _kinds(annotation.left, classes) | _kinds(annotation.right, classes)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return {"null"}
    if isinstance(annotation, ast.Subscript):
        outer = ast.unparse(annotation.value)
        inner = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        if outer in ("Optional",):
            return _kinds(inner[0], classes) | {"null"}
        if outer in ("Union",):
            return set().union(*(_kinds(item, classes) for item in inner))
        if outer in ("Annotated",):
            return _kinds(inner[0], classes)
        if outer in ("Literal",):
            return {value_kind(_literal(item)) for item in inner}
        return {_SIMPLE_KINDS.get(outer, "any")}
    name = ast.unparse(annotation)
    if name in _SIMPLE_KINDS:
        return {_SIMPLE_KINDS[name]}
    if name in classes:
        return {"string"} if classes[name].is_enum else {"object"}
    return {"any"}


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None
