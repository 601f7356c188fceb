"""The wizard's memory line and the memory rule judge the same estimate against the same memory: they agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.config import parse_config_dict
from engine.models.facts import read_model_facts
from engine.models.memory import memory_fit
from engine.rules import Target, check_config
from tests.models.conftest import LLAMA_CONFIG
from tui.screens.model import memory_line


@pytest.mark.parametrize("margin", [0.5, 2.0])
def test_the_wizard_line_and_the_rule_agree_on_the_fit(tmp_path: Path, margin: float) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG), encoding="utf-8")
    facts = read_model_facts(tmp_path)
    config = parse_config_dict({"base_model": str(tmp_path), "adapter": "lora", "sequence_len": 2048})
    probe = Target(device="cpu", bf16=False, cpu_cores=2, memory_gb=64.0)
    needed = memory_fit(config, facts, probe).estimate.total_gib
    target = Target(device="cpu", bf16=False, cpu_cores=2, memory_gb=needed * margin)

    line = memory_line(config, facts, target)
    fired = any(f.rule_id == "memory.estimate_exceeds_device" for f in check_config(config, target, facts=facts))
    assert ("DOES NOT FIT" in line) == fired == (margin < 1)
    assert "GiB" in line and " GB" not in line
