"""The config model reads axolotl's files, refuses unknown keys with a suggestion, and round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import (
    ConfigError,
    ConfigFileError,
    RunConfig,
    apply_overrides,
    dump_config,
    load_config,
    parse_config_text,
    parse_override_args,
    save_config,
)

EXAMPLES_DIR = Path(__file__).parents[1] / "data" / "axolotl_examples"
AXOLOTL_EXAMPLES = [
    EXAMPLES_DIR / name
    for name in ("llama-3/lora-1b.yml", "llama-3/qlora-1b.yml", "qwen3/8b-qat-fsdp2.yml", "llama-2/relora.yml")
]
PRESETS = sorted((Path(__file__).parents[2] / "presets").glob("*.yml"))


@pytest.mark.parametrize("path", AXOLOTL_EXAMPLES, ids=lambda path: path.name)
def test_axolotl_examples_load_and_round_trip(path: Path, tmp_path: Path) -> None:
    config = load_config(path)
    saved = save_config(config, tmp_path / "copy.yml", header="a copy")
    assert load_config(saved) == config
    assert saved.read_text().splitlines()[1] == "# a copy"


def test_examples_were_found() -> None:
    assert all(path.is_file() for path in AXOLOTL_EXAMPLES)
    assert len(PRESETS) >= 4


@pytest.mark.parametrize("path", PRESETS, ids=lambda path: path.name)
def test_presets_round_trip(path: Path) -> None:
    config = load_config(path)
    assert parse_config_text(dump_config(config)) == config


def test_unknown_key_suggests_the_closest_known_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text("base_model: x\nlora_rr: 8\n")
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert problem.one_line() == "line 2: lora_rr: unknown key (did you mean `lora_r`?)"


def test_unknown_key_inside_a_dataset_entry_is_named_with_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text("datasets:\n  - path: a.json\n    typ: alpaca\n")
    assert "line 3: datasets.0.typ: unknown key (did you mean `type`?)" in str(caught.value)


def test_wrong_types_are_reported_per_key_with_the_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text("lora_r: abc\nbf16: maybe\n")
    keys = [(problem.key, problem.line) for problem in caught.value.problems]
    assert keys == [("lora_r", 1), ("bf16", 2)]
    assert "got 'abc'" in caught.value.problems[0].message


def test_yaml_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(ConfigFileError, match=r"line 2, column \d+"):
        parse_config_text("base_model: x\n  lora_r: [\n")


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="no such file"):
        load_config(tmp_path / "nope.yml")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigFileError, match="mapping"):
        parse_config_text("- a\n- b\n")


def test_legacy_attention_switch_maps_onto_attn_implementation() -> None:
    config = parse_config_text("flash_attention: true\n")
    assert config.requested_attn_implementation() == "flash_attention_2"
    assert "flash_attention: true" in dump_config(config)


def test_eval_packing_follows_training_packing_unless_set() -> None:
    assert parse_config_text("sample_packing: true\n").effective_eval_sample_packing() is True
    unpacked_eval = parse_config_text("sample_packing: true\neval_sample_packing: false\n")
    assert unpacked_eval.effective_eval_sample_packing() is False


def test_batch_size_derives_accumulation_like_axolotl() -> None:
    config = parse_config_text("batch_size: 16\nmicro_batch_size: 4\n")
    assert config.effective_gradient_accumulation_steps() == 4


def test_every_field_has_help_text() -> None:
    missing = [name for name, field in RunConfig.model_fields.items() if not field.description]
    assert missing == []


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "cfg.yml"
    target.write_text("old")
    save_config(RunConfig(), target)
    assert [path.name for path in tmp_path.iterdir()] == ["cfg.yml"]
    assert load_config(target) == RunConfig()


def test_empty_values_are_written_like_axolotl_writes_them() -> None:
    text = dump_config(parse_config_text("lora_model_dir:\nwandb_project:\n"))
    assert "lora_model_dir:\n" in text
    assert "null" not in text


def test_overrides_are_parsed_as_yaml_and_validated() -> None:
    overrides = parse_override_args(["--learning-rate", "1e-4", "--micro-batch-size=2", "--sample-packing"])
    config = apply_overrides(RunConfig(), overrides)
    assert (config.learning_rate, config.micro_batch_size, config.sample_packing) == (1e-4, 2, True)


def test_unknown_override_gets_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean `learning_rate`"):
        apply_overrides(RunConfig(), parse_override_args(["--learning-rat", "1e-4"]))


def test_override_argument_must_be_an_option() -> None:
    with pytest.raises(ConfigError, match="expected an option"):
        parse_override_args(["learning_rate"])


def test_a_key_with_no_name_is_named_as_such() -> None:
    """`null:` is an empty key to YAML; the error says so instead of printing a nameless 'unknown key'."""
    with pytest.raises(ConfigError) as error:
        parse_config_text("base_model: x\nnull: 5\n")
    assert error.value.problems[0].one_line().startswith("null: a key with no name")
