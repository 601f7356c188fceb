"""Saving an opened config edits it in place: same bytes when unchanged, one line for one changed field."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from engine.config import ConfigError, RunConfig, load_config, parse_config_dict, save_config
from engine.config.schema import schema_modeline

EXAMPLES_DIR = Path(__file__).parents[1] / "data" / "axolotl_examples"

COMMENTED = """\
# My Llama run, tuned by hand. Keep these comments!
base_model: NousResearch/Llama-3.2-1B   # the small one
model_type: AutoModelForCausalLM

load_in_8bit: true
datasets:
  - path: teknium/GPT4-LLM-Cleaned
    type: alpaca   # instruction/input/output rows
output_dir: ./outputs/lora-out

# LoRA
adapter: lora
lora_r: 16      # rank: 16 was enough last time
lora_alpha: 32
lora_target_linear: True
lora_mlp_kernel: true   # an axolotl key ft-tui keeps but does not use
special_tokens:
   pad_token: "<|end_of_text|>"
"""


def changed(config: RunConfig, **changes: object) -> RunConfig:
    return parse_config_dict({**config.model_dump(exclude_unset=True), **changes})


def diff(before: str, after: str) -> list[str]:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_changing_lora_r_in_a_commented_axolotl_config_changes_one_line(tmp_path: Path) -> None:
    path = tmp_path / "llama.yml"
    path.write_text(COMMENTED)
    save_config(changed(load_config(path), lora_r=64), path, header="never added", base=path)
    assert diff(COMMENTED, path.read_text()) == [
        "-lora_r: 16      # rank: 16 was enough last time",
        "+lora_r: 64      # rank: 16 was enough last time",
    ]
    assert load_config(path).lora_r == 64


def test_saving_unchanged_gives_the_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "llama.yml"
    path.write_bytes(COMMENTED.encode())
    save_config(load_config(path), path, base=path)
    assert path.read_bytes() == COMMENTED.encode()


def test_a_new_key_is_appended_and_a_cleared_key_removed(tmp_path: Path) -> None:
    path = tmp_path / "llama.yml"
    path.write_text(COMMENTED)
    config = load_config(path)
    data = config.model_dump(exclude_unset=True)
    del data["model_type"]
    save_config(parse_config_dict({**data, "warmup_ratio": 0.05}), path, base=path)
    assert diff(COMMENTED, path.read_text()) == ["-model_type: AutoModelForCausalLM", "+warmup_ratio: 0.05"]


def test_saving_to_another_file_keeps_the_original_layout(tmp_path: Path) -> None:
    original = tmp_path / "llama.yml"
    original.write_text(COMMENTED)
    copy = save_config(changed(load_config(original), num_epochs=3), tmp_path / "copy.yml", base=original)
    assert diff(COMMENTED, copy.read_text()) == ["+num_epochs: 3.0"]
    assert original.read_text() == COMMENTED


def test_a_new_file_still_starts_with_the_ft_tui_header(tmp_path: Path) -> None:
    path = save_config(RunConfig(), tmp_path / "new.yml", header="Written by ft-tui")
    assert path.read_text().splitlines()[:2] == [schema_modeline(tmp_path), "# Written by ft-tui"]


def test_a_base_that_is_no_longer_a_config_gives_a_fresh_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("lora_r: [\n")
    path = save_config(RunConfig(), tmp_path / "new.yml", header="fresh", base=broken)
    assert path.read_text().splitlines()[1] == "# fresh"


@pytest.mark.parametrize("folder", sorted(path.name for path in EXAMPLES_DIR.iterdir() if path.is_dir()))
def test_every_axolotl_example_round_trips_and_edits_one_line(folder: str, tmp_path: Path) -> None:
    for source in sorted([*(EXAMPLES_DIR / folder).rglob("*.yml"), *(EXAMPLES_DIR / folder).rglob("*.yaml")]):
        text = source.read_text()
        try:
            config = load_config(source)
        except ConfigError:
            continue  # axolotl refuses it too (tests/config/test_axolotl_parity.py)
        same = save_config(config, tmp_path / "same.yml", base=source)
        assert same.read_text() == text, source
        edited = save_config(changed(config, lora_r=99), tmp_path / "edited.yml", base=source)
        lines = diff(text, edited.read_text())
        assert [line[1:].split(":")[0] for line in lines if line.startswith("+")] == ["lora_r"], (source, lines)
        assert len(lines) <= 2, (source, lines)
