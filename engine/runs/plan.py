"""Where a config runs: this machine, N GPUs of one node, or several nodes; the launcher file kept next to the
YAML, the exact torchrun and `accelerate launch` command for every node, and what changes with more processes.

The YAML stays axolotl's; how many processes start it is the launcher's business, so it lives in its own small
file (`cfg.launch.yml` beside `cfg.yml`) that `ft-tui train` and the wizard's Run read for the process count.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from engine.atomic import write_text_atomic
from engine.config import RunConfig
from engine.errors import FtTuiError

Where = Literal["local", "gpus", "nodes"]
PLAN_SUFFIX = ".launch.yml"
DEFAULT_PORT = 29500
ADDRESS_PLACEHOLDER = "NODE0_ADDRESS"


class PlanError(FtTuiError):
    """A launch plan that cannot be used; the message names the value and the fix."""


@dataclass(frozen=True)
class LaunchPlan:
    where: Where = "local"
    gpus_per_node: int = 1
    nodes: int = 1
    master_addr: str = ADDRESS_PLACEHOLDER
    """The address of node 0, which every node can reach (its rendezvous)."""
    master_port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        if self.where not in ("local", "gpus", "nodes"):
            raise PlanError(f"where: {self.where!r} is not one of local, gpus, nodes")
        if self.gpus_per_node < 1 or self.nodes < 1:
            raise PlanError("gpus_per_node and nodes must be 1 or more")
        if not 0 < self.master_port < 65536:
            raise PlanError(f"master_port: {self.master_port} is not a TCP port (1-65535)")

    @property
    def processes_per_node(self) -> int:
        return 1 if self.where == "local" else self.gpus_per_node

    @property
    def node_count(self) -> int:
        return self.nodes if self.where == "nodes" else 1

    @property
    def processes(self) -> int:
        """Data-parallel processes over all nodes: the `world size`."""
        return self.processes_per_node * self.node_count


def plan_path(config_path: Path) -> Path:
    """`runs/cfg.yml` -> `runs/cfg.launch.yml`."""
    return config_path.with_name(config_path.stem + PLAN_SUFFIX)


def save_plan(plan: LaunchPlan, config_path: Path) -> Path:
    header = (
        f"# How {config_path.name} is launched (written by ft-tui's wizard; the YAML itself stays axolotl's).\n"
        "# where: local (one process), gpus (gpus_per_node processes on this machine) or nodes (several machines).\n"
    )
    return write_text_atomic(plan_path(config_path), header + yaml.safe_dump(asdict(plan), sort_keys=False))


def load_plan(config_path: Path) -> LaunchPlan | None:
    """The plan beside a config, or None when there is none. Raises PlanError for a file that cannot be used."""
    path = plan_path(config_path)
    if not path.is_file():
        return None
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return LaunchPlan(**data)
    except (OSError, yaml.YAMLError, TypeError) as error:
        raise PlanError(f"{path}: not a launch plan ({error}); fix it or delete it") from error


def local_processes(config_path: Path) -> int:
    """How many processes `ft-tui train` starts on this machine when no --nproc is given: the plan's per-node
    count for a one-node GPU plan, else 1 (a multi-node plan is started per node with the commands it shows)."""
    plan = load_plan(config_path)
    return plan.processes_per_node if plan is not None and plan.where == "gpus" else 1


@dataclass(frozen=True)
class NodeCommands:
    node_rank: int
    torchrun: str
    accelerate: str


def node_commands(plan: LaunchPlan, config_path: str) -> list[NodeCommands]:
    """The exact command lines for each node (one for this machine)."""
    config = shlex.quote(config_path)
    engine = f"-m engine.train {config}"
    if plan.where == "local":
        return [NodeCommands(0, f"python {engine}", f"accelerate launch --num_processes 1 {engine}")]
    if plan.where == "gpus":
        n = plan.gpus_per_node
        return [
            NodeCommands(
                0,
                f"torchrun --standalone --nproc_per_node {n} {engine}",
                f"accelerate launch --multi_gpu --num_processes {n} {engine}",
            )
        ]
    commands = []
    for rank in range(plan.nodes):
        rendezvous = f"--master_addr {plan.master_addr} --master_port {plan.master_port}"
        commands.append(
            NodeCommands(
                rank,
                f"torchrun --nnodes {plan.nodes} --nproc_per_node {plan.gpus_per_node} --node_rank {rank} "
                f"{rendezvous} {engine}",
                f"accelerate launch --multi_gpu --num_machines {plan.nodes} --num_processes {plan.processes} "
                f"--machine_rank {rank} --main_process_ip {plan.master_addr} --main_process_port {plan.master_port} "
                f"{engine}",
            )
        )
    return commands


def explain(plan: LaunchPlan, config: RunConfig) -> list[str]:
    """What changes with this many processes, in the config's own numbers."""
    p = plan.processes
    micro, accumulation = config.micro_batch_size, config.effective_gradient_accumulation_steps(p)
    lines = [
        f"global batch = micro_batch_size {micro} x gradient_accumulation_steps {accumulation} x processes {p} "
        f"= {micro * accumulation * p} {'packed rows' if config.sample_packing else 'rows'} per optimizer step",
    ]
    if p > 1:
        lr = config.learning_rate
        lines.append(
            f"each process trains its own share of the data, so an epoch takes {p}x fewer steps; the learning "
            f"rate is not scaled for you: LoRA usually keeps {lr:g}, or raise it by up to sqrt({p}) = "
            f"{math.sqrt(p):.2f}x ({lr * math.sqrt(p):.2g}); to keep one process's global batch instead, divide "
            f"gradient_accumulation_steps by {p}"
        )
    if config.deepspeed or config.fsdp_config or config.fsdp_version:
        lines.append(f"memory per GPU: the sharded parts are split over the {p} GPUs; the rest is as on one GPU")
    else:
        lines.append(
            "memory per GPU: every GPU holds the whole model, the adapter and its optimizer state plus the "
            "activations of its own micro-batch, the same as a one-GPU run; to split the weights, use "
            "deepspeed: zero3 or FSDP2"
        )
    if plan.where == "nodes":
        lines.append(
            f"run node_rank 0 on {plan.master_addr} and the others on the remaining nodes, each with the same "
            "config, data and model paths; port "
            f"{plan.master_port} of node 0 must be reachable from every node"
        )
    return lines
