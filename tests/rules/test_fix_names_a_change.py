"""A fix names something to change: never the setting already there, never "clear it" for a key that was just
cleared, and the no-targets rule names what peft will really wrap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import ConfigError, parse_config_text
from engine.models.facts import read_model_facts
from engine.rules import check_config
from tests.rules.test_catalog import CPU_BF16, SMALL_LLAMA, tools_ignored


@pytest.mark.parametrize("current", ["", "chat_template: tokenizer_default\n", "chat_template: jinja\n"])
def test_the_tools_fix_never_names_the_current_template(current: str) -> None:
    config = parse_config_text(current + ("chat_template_jinja: '{{ messages }}'\n" if "jinja" in current else ""))
    [finding] = [f for f in check_config(config, CPU_BF16, data=tools_ignored()) if "tools" in f.rule_id]
    if "tokenizer_default" in current or not current:
        assert "chat_template: tokenizer_default" not in finding.fix and "chat_template_jinja" in finding.fix
    else:
        assert "make the `chat_template_jinja` print `tools`" in finding.fix


def test_chatml_is_told_to_try_the_models_own_template() -> None:
    config = parse_config_text("chat_template: chatml\n")
    [finding] = [f for f in check_config(config, CPU_BF16, data=tools_ignored()) if "tools" in f.rule_id]
    assert "chat_template: tokenizer_default" in finding.fix


@pytest.mark.parametrize("empty", ["output_dir:\n", "output_dir: ''\n"])
def test_a_cleared_output_dir_names_a_value_to_type(empty: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(empty)
    [problem] = caught.value.problems
    assert problem.message == "cannot be empty"
    assert problem.fix == "type a value, e.g. the default ./outputs/lora-out"


def test_no_targets_names_what_peft_wraps_for_this_model(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(SMALL_LLAMA))
    facts = read_model_facts(tmp_path)
    config = parse_config_text("adapter: lora\n")
    [finding] = [f for f in check_config(config, CPU_BF16, facts=facts) if f.rule_id == "lora.no_target_modules"]
    assert "default, here q_proj and v_proj." in finding.why
