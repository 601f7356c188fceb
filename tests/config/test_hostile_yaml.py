"""Hostile or broken YAML gets a one-line error quickly: alias bombs, runaway nesting and duplicate keys."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import ConfigError, ConfigFileError, load_config, parse_config_text
from engine.config.loader import MAX_DEPTH


def alias_bomb(levels: int = 9) -> str:
    """The classic "billion laughs": each anchor lists the previous one nine times (9**9 values in 342 bytes)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for index in range(1, levels):
        name, previous = chr(ord("a") + index), chr(ord("a") + index - 1)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yml"
    path.write_text(alias_bomb())
    assert path.stat().st_size == 342
    tracemalloc.start()
    try:
        with pytest.raises(ConfigFileError) as caught:
            load_config(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "\n" not in message
    assert "aliases expand to more than" in message and "line 5" in message
    assert peak < 20 * 2**20


def test_aliases_that_expand_deeper_than_the_limit_are_refused() -> None:
    """Each anchor nests the previous one a level deeper: few values, but a chain deeper than MAX_DEPTH."""
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, MAX_DEPTH + 2)]
    with pytest.raises(ConfigFileError, match="more than 64 levels"):
        parse_config_text("\n".join(lines))


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(ConfigFileError, match="line 1: an alias refers to the value that contains it"):
        parse_config_text("a: &a [1, *a]\n")


def test_ordinary_anchors_and_aliases_still_load() -> None:
    text = "base_model: x\nlora_target_modules: &targets [q_proj, v_proj]\nlora_modules_to_save: *targets\n"
    assert parse_config_text(text).lora_modules_to_save == ["q_proj", "v_proj"]


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_ten_thousand_nested_brackets_give_a_one_line_error(opening: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        parse_config_text(opening * 10_000)
    message = str(caught.value)
    assert "\n" not in message
    assert f"nested more than {MAX_DEPTH} levels deep" in message and "line 1" in message


def test_nesting_within_the_limit_loads_as_usual() -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config_text("deep: " + "[" * 20 + "]" * 20 + "\n")


def test_a_duplicate_key_names_both_lines() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text("base_model: x\nlora_r: 16\nlora_alpha: 32\nlora_r: 64\n")
    (problem,) = caught.value.problems
    assert problem.one_line() == (
        "line 4: lora_r: given twice, on lines 2 and 4 (keep one of them; YAML would silently use the last)"
    )


def test_a_duplicate_key_inside_a_dataset_entry_is_named_with_its_path() -> None:
    with pytest.raises(ConfigError, match=r"line 4: datasets\.0\.type: given twice, on lines 3 and 4"):
        parse_config_text("datasets:\n  - path: a.jsonl\n    type: alpaca\n    type: completion\n")


def test_merge_keys_are_not_duplicates() -> None:
    text = "base: &base {path: a.jsonl, type: alpaca}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text + "datasets:\n  - <<: *base\n    split: train\n")
    assert "given twice" not in str(caught.value)


# --- arbitrary input: a clean error or a config, never another exception -----------------------------------
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8))
_KEYS = st.one_of(
    st.sampled_from(
        [
            "lora_r",
            "datasets",
            "test_datasets",
            "path",
            "type",
            "use_kernels",
            "rl",
            "noisy_embedding_alpha",
            "model_revision",
            "bfloat16",
            "lora_rr",
            "field_tools",
            "special_tokens",
        ]
    ),
    st.text(max_size=6),
    st.integers(),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)
_BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@_BOUNDED
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_any_mapping_gives_a_config_or_a_config_error(document: dict) -> None:
    try:
        parse_config_text(yaml.safe_dump(document))
    except (ConfigError, ConfigFileError) as error:
        assert str(error)


@_BOUNDED
@given(st.text(alphabet=st.sampled_from(list("[]{}:,-&*!|>'\"# \nab1")), max_size=80))
def test_any_text_gives_a_config_or_a_config_error(text: str) -> None:
    try:
        parse_config_text(text)
    except (ConfigError, ConfigFileError) as error:
        assert str(error)
