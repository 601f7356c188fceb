"""Names that must be refused, and property tests: arbitrary input gives a clean error, never an unexpected crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import ConfigError, ConfigFileError, parse_config_dict, parse_override_args
from engine.data.errors import RowProblem
from engine.data.formats.detect import detect_format
from engine.presets import PresetError, save_user_preset

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", ["evil\n", "evil\r", "../evil", "evil/x", "", " evil"])
def test_preset_names_with_control_characters_or_paths_are_refused(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FT_TUI_CONFIG_DIR", str(tmp_path))
    with pytest.raises(PresetError, match="may use letters"):
        save_user_preset(name, parse_config_dict({"base_model": "m"}))
    assert not any(p.suffix == ".yml" for p in tmp_path.rglob("*"))


_TOKENS = st.one_of(
    st.sampled_from(["--lora-r", "--lora_r", "--max-steps", "--sample-packing", "--learning-rate", "--", "-x", "--="]),
    st.text(max_size=12),
    st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=1, max_value=3000).map(lambda depth: "{a: " * depth + "1" + "}" * depth),
)


@BOUNDED
@given(st.lists(_TOKENS, max_size=6))
def test_override_parsing_gives_overrides_or_a_config_error(args: list[str]) -> None:
    try:
        overrides = parse_override_args(args)
    except (ConfigError, ConfigFileError):  # nested past the limit: ConfigTooLargeError
        return
    try:
        parse_config_dict({"base_model": "m", **overrides})
    except ConfigError:
        return


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
_ROW_KEYS = st.sampled_from(
    ["instruction", "input", "output", "text", "messages", "conversations", "role", "content", "input_ids", "x"]
)
_ROWS = st.lists(st.dictionaries(_ROW_KEYS, _VALUES, max_size=4), max_size=4)


@BOUNDED
@given(_ROWS)
def test_format_detection_guesses_or_says_nothing(rows: list[dict[str, Any]]) -> None:
    guess = detect_format(rows)
    assert guess is None or isinstance(guess, dict)


@BOUNDED
@given(st.dictionaries(_ROW_KEYS, _VALUES, max_size=4))
def test_row_encoding_gives_samples_or_a_row_problem(row: dict[str, Any]) -> None:
    from engine.data.formats import build_formatter

    for entry in ({"type": "alpaca"}, {"type": "completion"}, {"type": "chat_template"}):
        config = parse_config_dict({"base_model": "m", "datasets": [{"path": "d.jsonl", **entry}]})
        formatter = build_formatter(config.datasets[0], config, _tokenizer())
        try:
            samples = formatter(row)
        except RowProblem:
            continue
        for ids, labels in samples:
            assert len(ids) == len(labels)


_TOKENIZER: list[Any] = []


def _tokenizer() -> Any:
    if not _TOKENIZER:
        from tests.tiny import tiny_tokenizer

        _TOKENIZER.append(tiny_tokenizer())
    return _TOKENIZER[0]


_JSON = st.recursive(
    st.one_of(st.none(), st.integers(), st.text(alphabet='[]{}"\\ab', max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=3), inner, max_size=2)),
    max_leaves=80,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@BOUNDED
@given(_JSON, st.integers(min_value=0, max_value=6))
def test_json_depth_is_measured_as_the_parser_nests(value: Any, limit: int) -> None:
    """Brackets inside strings do not count; the limit refuses exactly the values nested deeper than it."""
    import json

    from engine.nesting import json_too_deep, loads_json

    text = json.dumps(value)
    assert json_too_deep(text, limit) == (_depth(value) > limit)
    if _depth(value) <= limit:
        assert loads_json(text, limit) == value
    else:
        with pytest.raises(ValueError, match=f"nested more than {limit} levels deep"):
            loads_json(text, limit)


@pytest.mark.parametrize("given", ["x.yml", "x.yaml", "x"])
def test_a_preset_saved_with_its_suffix_is_found_by_that_name(
    given: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ft-tui presets save x.yml` wrote x.yml.yml, and `ft-tui validate x.yml` then said "no such file"."""
    from engine.presets import config_path

    monkeypatch.setenv("FT_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    saved = save_user_preset(given, parse_config_dict({"base_model": "m"}))
    assert saved.name == "x.yml"
    assert config_path(given) == saved
    (tmp_path / given).write_text("base_model: here\n")  # a file of that name here still wins
    assert config_path(given) == Path(given)
