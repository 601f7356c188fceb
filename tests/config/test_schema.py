"""`ft-tui schema`: a JSON Schema that accepts every preset, ships with the package, and heads written files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.config import RunConfig, save_config
from engine.config.schema import config_json_schema, schema_modeline, shipped_schema_path
from tui.cli import main

PRESETS = sorted((Path(__file__).parents[2] / "presets").glob("*.yml"))


@pytest.fixture(scope="module")
def printed_schema() -> dict:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out):
        assert main(["schema"]) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("path", PRESETS, ids=lambda path: path.name)
def test_every_preset_validates_against_the_printed_schema(path: Path, printed_schema: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(printed_schema)
    jsonschema.validate(yaml.safe_load(path.read_text()), printed_schema, cls=jsonschema.Draft202012Validator)


def test_the_schema_carries_types_defaults_enums_and_help(printed_schema: dict) -> None:
    lora_r = printed_schema["properties"]["lora_r"]
    assert lora_r["default"] == 8 and {"minimum": 1, "type": "integer"} in lora_r["anyOf"]
    assert lora_r["description"].startswith("LoRA rank")
    strategy = json.dumps(printed_schema["properties"]["excess_length_strategy"])
    assert '"drop"' in strategy and '"truncate"' in strategy
    kernel = printed_schema["properties"]["lora_mlp_kernel"]
    assert "ft-tui ignores it" in kernel["description"] and "boolean" in kernel["type"]


def test_the_schema_refuses_unknown_keys_and_wrong_values(printed_schema: dict) -> None:
    validator = jsonschema.Draft202012Validator(printed_schema)
    assert not validator.is_valid({"lora_rr": 8})
    assert not validator.is_valid({"lora_r": "eight"})
    assert not validator.is_valid({"datasets": [{"path": "a.jsonl", "typ": "alpaca"}]})
    assert validator.is_valid({"learning_rate": "2e-5", "lora_r": None, "use_kernels": True})


def test_the_shipped_schema_file_is_current() -> None:
    shipped = json.loads(shipped_schema_path().read_text(encoding="utf-8"))
    assert shipped == config_json_schema(), (
        "regenerate: python -m engine.config.schema > engine/config/ft-tui.schema.json"
    )


def test_written_files_point_editors_at_the_shipped_schema(tmp_path: Path) -> None:
    """By a path relative to the file, never the install folder's absolute path (dead on another machine)."""
    written = tmp_path / "sub" / "c.yml"
    written.parent.mkdir()
    first = save_config(RunConfig(), written, header="hello").read_text().splitlines()[0]
    assert first == schema_modeline(written.parent)
    where = first.removeprefix("# yaml-language-server: $schema=")
    assert not Path(where).is_absolute()
    assert (written.parent / where).resolve() == shipped_schema_path().resolve()
    assert shipped_schema_path().is_file()
