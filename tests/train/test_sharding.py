"""DeepSpeed ZeRO and FSDP2 built-ins: they ship with the presets, resolve by name, and reach the Trainer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.config import parse_config_dict
from engine.presets import BUILTIN_DIR
from engine.sharding import builtin_deepspeed, builtin_fsdp, load_fsdp_builtin, offloads, resolve_deepspeed, zero_stage
from engine.train.arguments import argument_values, training_arguments

BASE = {"base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "datasets": [{"path": "rows.json", "type": "alpaca"}]}


def config(**keys: Any) -> Any:
    return parse_config_dict({**BASE, **keys})


def arguments(**keys: Any) -> dict[str, Any]:
    values, _ = argument_values(config(**keys), steps_per_epoch=10, has_eval=False, device="cuda", report_to=[])
    return values


def test_every_zero_stage_ships_as_a_builtin() -> None:
    stages = {name: zero_stage(config(deepspeed=name)) for name in builtin_deepspeed()}
    assert stages == {
        "zero1": 1,
        "zero2": 2,
        "zero3": 3,
        "zero3_offload": 3,
        # axolotl's own file names, which its examples use
        "zero3_bf16": 3,
        "zero3_bf16_cpuoffload_all": 3,
        "zero3_bf16_cpuoffload_params": 3,
    }
    assert offloads(config(deepspeed="zero3_bf16_cpuoffload_params")) == ["parameters"]
    assert offloads(config(deepspeed="zero3_offload")) == ["optimizer states", "parameters"]
    assert offloads(config(deepspeed="zero2")) == []
    assert set(builtin_fsdp()) == {"fsdp2", "fsdp2_offload"}


def test_deepspeed_resolves_own_files_first_then_builtins_and_axolotl_paths(tmp_path: Path) -> None:
    own = tmp_path / "zero2.json"
    own.write_text(json.dumps({"zero_optimization": {"stage": 2}}))
    assert resolve_deepspeed(str(own)) == own
    assert resolve_deepspeed("zero2") == BUILTIN_DIR / "deepspeed" / "zero2.json"
    assert resolve_deepspeed("deepspeed_configs/zero3.json") == BUILTIN_DIR / "deepspeed" / "zero3.json"
    assert resolve_deepspeed("zero9") is None


@pytest.mark.parametrize("name", ["zero1", "zero2", "zero3", "zero3_offload"])
def test_training_arguments_carry_the_deepspeed_file(name: str) -> None:
    """The file DeepSpeed will read (transformers itself refuses to build the arguments without deepspeed)."""
    values = arguments(deepspeed=name)
    assert values["deepspeed"] == str(BUILTIN_DIR / "deepspeed" / f"{name}.json")
    settings = json.loads(Path(values["deepspeed"]).read_text())
    assert settings["train_micro_batch_size_per_gpu"] == "auto", "the Trainer fills the batch sizes in"
    assert "fsdp" not in values and values["ddp_find_unused_parameters"] is False


@pytest.mark.parametrize(("name", "offload"), [("fsdp2", False), ("fsdp2_offload", True)])
def test_training_arguments_carry_fsdp2(name: str, offload: bool) -> None:
    keys = load_fsdp_builtin(name)
    args, _ = training_arguments(config(**keys), steps_per_epoch=10, has_eval=False, device="cpu", report_to=[])
    assert args.fsdp is True
    assert args.fsdp_config["version"] == 2
    assert args.fsdp_config["cpu_offload"] is offload
    assert args.fsdp_config["auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"
    assert args.fsdp_config["reshard_after_forward"] is True


def test_lora_runs_without_find_unused_parameters_unless_asked() -> None:
    assert arguments()["ddp_find_unused_parameters"] is False
    assert arguments(ddp_find_unused_parameters=True)["ddp_find_unused_parameters"] is True
