"""Names that must be refused, and property tests: arbitrary input gives a clean error, never an unexpected crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import ConfigError, parse_config_dict, parse_override_args
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
)


@BOUNDED
@given(st.lists(_TOKENS, max_size=6))
def test_override_parsing_gives_overrides_or_a_config_error(args: list[str]) -> None:
    try:
        overrides = parse_override_args(args)
    except ConfigError:
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
