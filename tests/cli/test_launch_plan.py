"""Launch plans: the file beside the YAML, the commands for every node, what changes, and who reads the count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.config import parse_config_dict, save_config
from engine.runs import launch, read_launch
from engine.runs.plan import LaunchPlan, PlanError, explain, load_plan, local_processes, node_commands, save_plan

CONFIG = {
    "base_model": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "datasets": [{"path": "rows.json", "type": "alpaca"}],
    "micro_batch_size": 2,
    "gradient_accumulation_steps": 4,
    "learning_rate": 2e-4,
    "sample_packing": True,
    "output_dir": "./outputs/plan",
}


def test_one_node_of_gpus_gets_torchrun_accelerate_and_ft_tui_counts() -> None:
    (node,) = node_commands(LaunchPlan("gpus", gpus_per_node=4), "runs/my run.yml")
    assert node.torchrun == "torchrun --standalone --nproc_per_node 4 -m engine.train 'runs/my run.yml'"
    assert node.accelerate == "accelerate launch --multi_gpu --num_processes 4 -m engine.train 'runs/my run.yml'"


def test_every_node_gets_its_own_rank_and_the_same_rendezvous() -> None:
    plan = LaunchPlan("nodes", gpus_per_node=8, nodes=2, master_addr="10.0.0.5", master_port=29600)
    commands = node_commands(plan, "cfg.yml")
    assert [node.node_rank for node in commands] == [0, 1]
    assert commands[1].torchrun == (
        "torchrun --nnodes 2 --nproc_per_node 8 --node_rank 1 --master_addr 10.0.0.5 --master_port 29600 "
        "-m engine.train cfg.yml"
    )
    assert commands[1].accelerate == (
        "accelerate launch --multi_gpu --num_machines 2 --num_processes 16 --machine_rank 1 "
        "--main_process_ip 10.0.0.5 --main_process_port 29600 -m engine.train cfg.yml"
    )
    assert plan.processes == 16


def test_explanation_uses_the_configs_numbers() -> None:
    notes = explain(LaunchPlan("gpus", gpus_per_node=4), parse_config_dict(CONFIG))
    assert notes[0] == (
        "global batch = micro_batch_size 2 x gradient_accumulation_steps 4 x processes 4 = 32 packed rows per "
        "optimizer step"
    )
    assert "sqrt(4) = 2.00x (0.0004)" in notes[1] and "divide gradient_accumulation_steps by 4" in notes[1]
    assert notes[2].startswith("memory per GPU: every GPU holds the whole model")
    sharded = explain(LaunchPlan("gpus", gpus_per_node=4), parse_config_dict({**CONFIG, "deepspeed": "zero3"}))
    assert sharded[2].startswith("memory per GPU: the sharded parts are split over the 4 GPUs")


def test_plan_file_round_trips_beside_the_config(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yml"
    assert load_plan(config) is None and local_processes(config) == 1
    written = save_plan(LaunchPlan("gpus", gpus_per_node=2), config)
    assert written == tmp_path / "cfg.launch.yml"
    assert load_plan(config) == LaunchPlan("gpus", gpus_per_node=2) and local_processes(config) == 2
    save_plan(LaunchPlan("nodes", gpus_per_node=8, nodes=2), config)
    assert local_processes(config) == 1, "a multi-node plan is started per node, with the commands it shows"
    written.write_text("where: everywhere\n")
    with pytest.raises(PlanError, match="where: 'everywhere' is not one of local, gpus, nodes"):
        load_plan(config)


def test_detached_run_takes_its_process_count_from_the_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []

    def spawn(command: list[str], cwd: Path, console: Path) -> Any:
        started.append(command)
        return subprocess.Popen([sys.executable, "-c", "pass"])

    monkeypatch.setattr(launch, "_spawn", spawn)
    config = save_config(parse_config_dict({**CONFIG, "output_dir": str(tmp_path / "run")}), tmp_path / "cfg.yml")
    save_plan(LaunchPlan("gpus", gpus_per_node=2), config)
    run_dir = launch.start_detached(config, cwd=tmp_path)
    info = read_launch(run_dir)
    assert info is not None and info.nproc == 2
    assert started[0][:5] == [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
