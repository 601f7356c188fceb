"""Regenerate engine/config/axolotl_keys.json from axolotl's own pydantic schema.

axolotl is not a dependency of ft-tui; install the pinned release beside it without its heavy dependencies and
point PYTHONPATH at both, e.g.:

    pip install --no-deps --target /tmp/axo-pkg axolotl==0.19.0
    pip install --target /tmp/axo-deps pillow          # the only schema import ft-tui's venv lacks
    pip install --no-deps --target /tmp/axo-deps mistral-common==1.11.5   # axolotl's mistral examples need it
    pip download --no-deps --no-binary :all: axolotl==0.19.0 -d /tmp/axo-sdist   # for its examples/ folder
    PYTHONPATH=$PWD:/tmp/axo-pkg:/tmp/axo-deps python tools/gen_axolotl_catalog.py \
        --examples /tmp/axo-sdist/axolotl-0.19.0/examples

The schema is imported, not parsed: field types, defaults and descriptions are exactly what axolotl validates
with. The shipped catalogue was made this way. Where axolotl cannot be imported, `--source CHECKOUT` reads the same
schema from a source checkout (or the unpacked sdist) by its syntax tree; it agrees with the import on every key,
kind and description, leaves factory-made defaults empty and has no plugin keys.

Renames are read from axolotl's "before" validators, which move a value from an old key to a new one in code
rather than in the schema; RENAMES below lists them with where each lives.
"""

from __future__ import annotations

import argparse
import ast
import enum
import importlib.util
import inspect
import json
import shutil
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from engine.config.axolotl_catalog import CATALOG_FILE, enum_of, kinds_of

PINNED_VERSION = "0.19.0"
OUTPUT = Path(__file__).parents[1] / "engine" / "config" / CATALOG_FILE
VENDORED_EXAMPLES = Path(__file__).parents[1] / "tests" / "data" / "axolotl_examples"

RENAMES: dict[str, str] = {
    # config.py, default_dataset_num_proc: the value moves unless dataset_num_proc is set.
    "dataset_processes": "dataset_num_proc",
    # validation.py, check_neftune: noisy_embedding_alpha is copied into neftune_noise_alpha.
    "noisy_embedding_alpha": "neftune_noise_alpha",
    # deprecated.py / training args: evaluation_strategy is the old transformers name of eval_strategy.
    "evaluation_strategy": "eval_strategy",
    # validation.py: dpo_beta becomes rl_beta.
    "dpo_beta": "rl_beta",
    # validation.py, check_sequence_parallel_degree: renamed to context_parallel_size.
    "sequence_parallel_degree": "context_parallel_size",
    # validation.py: pretrain_multipack_buffer_size became streaming_multipack_buffer_size in 0.13.
    "pretrain_multipack_buffer_size": "streaming_multipack_buffer_size",
}
DATASET_RENAMES: dict[str, str] = {
    # utils.py, handle_legacy_message_fields_logic: both move into message_property_mappings.
    "message_field_role": "message_property_mappings.role",
    "message_field_content": "message_property_mappings.content",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--examples",
        type=Path,
        help="axolotl's examples/ folder at the same release (from its sdist or a checkout): keys its examples use "
        "that its schema lacks are catalogued as ignored by axolotl, and the configs are copied to --vendor-to",
    )
    parser.add_argument("--vendor-to", type=Path, default=VENDORED_EXAMPLES)
    parser.add_argument(
        "--source",
        type=Path,
        help="read the schema from this axolotl checkout (its VERSION file must say the pinned release) by its "
        "syntax tree instead of importing axolotl; plugin keys and axolotl's verdicts on the examples need the import",
    )
    args = parser.parse_args()
    source_version = (args.source / "VERSION").read_text(encoding="utf-8").strip() if args.source else None
    installed = source_version or version("axolotl")
    if installed != PINNED_VERSION:
        raise SystemExit(f"axolotl {installed} is given; the catalogue is pinned to {PINNED_VERSION}")
    catalogue = build_catalogue_from_source(args.source, installed) if args.source else build_catalogue(installed)
    if args.examples:
        configs = example_configs(args.examples)
        catalogue["top_level"].extend(_stale_example_keys(catalogue, configs))
        catalogue["top_level"].sort(key=lambda entry: entry["name"])
        vendor_examples(args.examples, configs, args.vendor_to, installed)
    args.output.write_text(json.dumps(catalogue, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(catalogue['top_level'])} top-level keys, {len(catalogue['dataset'])} dataset keys")


def build_catalogue_from_source(source: Path, installed: str) -> dict[str, Any]:
    """The catalogue read from a checkout without importing axolotl (tools/axolotl_schema_ast.py). It agrees with
    the imported schema on every key, kind and description; defaults built by a factory are left empty."""
    from axolotl_schema_ast import read_schema

    schema = read_schema(source)
    deprecated = source / "src" / "axolotl" / "utils" / "schemas" / "deprecated.py"
    tree = ast.parse(deprecated.read_text(encoding="utf-8"))
    deprecations: dict[str, tuple[str, bool]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "DeprecatedParameters":
            deprecations = validator_messages(ast.unparse(node))
    for entry in schema["top_level"]:
        message = deprecations.get(entry["name"])
        if message:
            entry.setdefault("deprecated", " ".join(message[0].split()))
            if message[1]:
                entry["refused"] = True
        _mark_renamed(entry, RENAMES)
    for entry in schema["dataset"]:
        _mark_renamed(entry, DATASET_RENAMES)
    return {
        "axolotl_version": installed,
        "source": f"generated by tools/gen_axolotl_catalog.py from axolotl {installed}'s schema source (read by AST)",
        "licence": "axolotl is Apache-2.0; names, types, defaults and descriptions are taken from its schema",
        "top_level": sorted(schema["top_level"], key=lambda entry: entry["name"]),
        "dataset": sorted(schema["dataset"], key=lambda entry: entry["name"]),
    }


def _mark_renamed(entry: dict[str, Any], renames: dict[str, str]) -> None:
    renamed_to = renames.get(entry["name"])
    if renamed_to:
        entry["renamed_to"] = renamed_to
        entry.setdefault("deprecated", f"use `{renamed_to}` instead")


def build_catalogue(installed: str) -> dict[str, Any]:
    from axolotl.utils.schemas import datasets as axolotl_datasets
    from axolotl.utils.schemas.config import AxolotlInputConfig
    from axolotl.utils.schemas.deprecated import DeprecatedParameters

    deprecations = _validator_messages(DeprecatedParameters)
    top_level = [
        _describe(name, field, deprecations.get(name), RENAMES.get(_key_name(name, field)))
        for name, field in AxolotlInputConfig.model_fields.items()
    ]
    dataset_models = (
        axolotl_datasets.SFTDataset,
        axolotl_datasets.DPODataset,
        axolotl_datasets.KTODataset,
        axolotl_datasets.StepwiseSupervisedDataset,
    )
    dataset: dict[str, dict[str, Any]] = {}
    for model in dataset_models:
        for name, field in model.model_fields.items():
            entry = dataset.setdefault(name, _describe(name, field, None, DATASET_RENAMES.get(name)))
            entry.setdefault("used_by", []).append(model.__name__)
    known = {entry["name"] for entry in top_level} | {
        alias for entry in top_level for alias in entry.get("aliases", [])
    }
    for plugin, field_name, field in _plugin_fields():
        if field_name not in known:
            known.add(field_name)
            top_level.append({**_describe(field_name, field, None, None), "plugin": plugin})
    return {
        "axolotl_version": installed,
        "source": f"generated by tools/gen_axolotl_catalog.py from axolotl {installed}'s pydantic schema (imported)",
        "licence": "axolotl is Apache-2.0; names, types, defaults and descriptions are taken from its schema",
        "top_level": sorted(top_level, key=lambda entry: entry["name"]),
        "dataset": sorted(dataset.values(), key=lambda entry: entry["name"]),
    }


def example_configs(examples: Path) -> list[Path]:
    """axolotl's training configs among its examples (the cloud launcher files have no `base_model`)."""
    configs = []
    for path in sorted([*examples.rglob("*.yml"), *examples.rglob("*.yaml")]):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "base_model" in data:
            configs.append(path)
    return configs


def _stale_example_keys(catalogue: dict[str, Any], configs: list[Path]) -> list[dict[str, Any]]:
    """Keys axolotl's own examples still use but its schema no longer has (`gptq_groupsize`, a misspelt
    `context_parapllel_size` ...). axolotl's config model allows extra keys, so it ignores them silently."""
    known = {entry["name"] for entry in catalogue["top_level"]}
    known |= {alias for entry in catalogue["top_level"] for alias in entry.get("aliases", [])}
    stale: dict[str, list[str]] = {}
    for path in configs:
        for key in yaml.safe_load(path.read_text(encoding="utf-8")):
            if key not in known:
                stale.setdefault(str(key), []).append(path.name)
    return [
        {
            "name": key,
            "kinds": ["any"],
            "type": "Any",
            "default": None,
            "description": "not in axolotl's schema; axolotl ignores it (used by its example " + ", ".join(files) + ")",
            "not_in_schema": True,
        }
        for key, files in sorted(stale.items())
    ]


def vendor_examples(examples: Path, configs: list[Path], destination: Path, installed: str) -> None:
    """Copy the example configs byte for byte, keeping their folders, with a NOTICE naming source and licence."""
    if destination.exists():
        shutil.rmtree(destination)
    for path in configs:
        target = destination / path.relative_to(examples)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (destination / "NOTICE").write_text(
        f"These {len(configs)} YAML files are axolotl's example training configs, copied unchanged from the\n"
        f"examples/ folder of axolotl {installed} (the `axolotl-{installed}.tar.gz` source distribution on PyPI;\n"
        "https://github.com/axolotl-ai-cloud/axolotl). Only files with a `base_model` key were copied (the\n"
        "cloud launcher configs are not training configs).\n\n"
        "Copyright the axolotl authors. Licensed under the Apache License, Version 2.0:\n"
        "https://www.apache.org/licenses/LICENSE-2.0\n\n"
        "Regenerated by tools/gen_axolotl_catalog.py --examples PATH/TO/axolotl/examples\n",
        encoding="utf-8",
    )
    if importlib.util.find_spec("axolotl") is None:
        print("axolotl cannot be imported: its verdicts on the examples (axolotl_verdicts.json) were not renewed")
        return
    verdicts = {str(path.relative_to(examples)): _axolotl_verdict(path) for path in sorted(configs)}
    (destination / "axolotl_verdicts.json").write_text(json.dumps(verdicts, indent=1) + "\n", encoding="utf-8")


def _axolotl_verdict(path: Path) -> dict[str, str] | None:
    """None when axolotl's own schema accepts the config, else its refusal: what `ft-tui validate --target
    axolotl` is tested against. A refusal for a package missing where this script ran (ring-flash-attn needs a
    CUDA build) is recorded as `environment`, not as a verdict on the config."""
    import logging

    from axolotl.utils.schemas.config import AxolotlInputConfig

    logging.disable(logging.CRITICAL)
    try:
        AxolotlInputConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except Exception as error:  # any refusal is the answer we record
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        message = " / ".join(lines[1:3]) if len(lines) > 1 else (lines[0] if lines else type(error).__name__)
        kind = "environment" if "not installed" in message or "pip install" in message else "refused"
        return {kind: message}
    return None


def _plugin_fields() -> list[tuple[str, str, Any]]:
    """Keys that axolotl's bundled plugins add to the config (`liger_rms_norm`, `cut_cross_entropy` ...): each
    plugin's `*Args` model in `axolotl/integrations/<plugin>/args.py`, merged into the schema when listed in
    `plugins`.

    Each args.py is loaded from its file on its own: importing the `axolotl.integrations` package would pull in
    wandb, evaluate and the trainers, while the args modules need only pydantic."""
    import importlib.util
    from importlib.resources import files

    fields: list[tuple[str, str, Any]] = []
    for args_file in sorted(Path(str(files("axolotl.integrations"))).glob("*/args.py")):
        plugin = args_file.parent.name
        spec = importlib.util.spec_from_file_location(f"_axolotl_plugin_args_{plugin}", args_file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        models = [
            model
            for _, model in sorted(inspect.getmembers(module, inspect.isclass))
            if model.__module__ == module.__name__ and issubclass(model, BaseModel)
        ]
        # A plugin's input model is its `*Args` class; swanlab's is its only `*Config` class.
        args = [model for model in models if model.__name__.endswith("Args")] or models
        for model in args:
            model.model_rebuild()
            fields.extend((plugin, name, field) for name, field in model.model_fields.items())
    return fields


def _key_name(name: str, field: Any) -> str:
    """The YAML key: axolotl gives a few fields an alias (`model_type` for `type_of_model`)."""
    return str(field.alias or name)


def _describe(name: str, field: Any, deprecation: tuple[str, bool] | None, renamed_to: str | None) -> dict[str, Any]:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    description = field.description or str(extra.get("description") or "")
    entry: dict[str, Any] = {
        "name": _key_name(name, field),
        "kinds": sorted(kinds_of(field.annotation)),
        "type": _type_text(field.annotation),
        "default": _default(field),
        "description": " ".join(description.split()),
    }
    if field.alias and field.alias != name:
        entry["aliases"] = [name]
    values = enum_of(field.annotation)
    if values is not None:
        entry["enum"] = [_json_value(value) for value in values]
    deprecated = field.deprecated if isinstance(field.deprecated, str) else (deprecation or (None, False))[0]
    if field.deprecated is True and deprecated is None:
        deprecated = "deprecated"
    if deprecated:
        entry["deprecated"] = " ".join(deprecated.split())
    if deprecation and deprecation[1]:
        entry["refused"] = True
    if renamed_to:
        entry["renamed_to"] = renamed_to
        entry.setdefault("deprecated", f"use `{renamed_to}` instead")
    return entry


def _default(field: Any) -> Any:
    if field.default_factory is not None:
        try:
            return _json_value(field.default_factory())
        except TypeError:
            return None
    return None if field.default is PydanticUndefined else _json_value(field.default)


def _json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value


def _type_text(annotation: Any) -> str:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    for prefix in ("typing.", "axolotl.utils.schemas.enums.", "axolotl.utils.schemas."):
        text = text.replace(prefix, "")
    return text.replace("NoneType", "None")


def _validator_messages(model: type[BaseModel]) -> dict[str, tuple[str, bool]]:
    """The message each `@field_validator("key")` of a model raises or logs (axolotl's deprecation texts), and
    whether it raises: a key axolotl refuses when set rather than only warning about."""
    return validator_messages(textwrap.dedent(inspect.getsource(model)))


def validator_messages(source: str) -> dict[str, tuple[str, bool]]:
    """`_validator_messages` for a class's source text (the AST fallback reads it from the checkout)."""
    tree = ast.parse(source)
    messages: dict[str, tuple[str, bool]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        fields = [
            arg.value
            for decorator in node.decorator_list
            if isinstance(decorator, ast.Call)
            for arg in decorator.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        texts = [
            part.value
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            for part in ast.walk(call)
            if isinstance(part, ast.Constant) and isinstance(part.value, str) and " " in part.value
        ]
        raises = any(isinstance(part, ast.Raise) for part in ast.walk(node))
        for field in fields:
            messages[field] = ("".join(texts) or "deprecated", raises)
    return messages


if __name__ == "__main__":
    main()
