"""Rules about several processes and GPUs: DDP needs CUDA; DeepSpeed ZeRO and FSDP exist, fit the
model and the GPU; and what offload costs."""

from __future__ import annotations

import importlib.util

from engine import sharding
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext

FULL_COPY_SHARE = 0.6
"""ZeRO-1/2 and DDP keep every weight on every GPU; above this share of its memory, activations no longer fit."""
SMALL_MODEL_SHARE = 0.25
"""Under this share of one GPU, sharding the weights (ZeRO-3, FSDP) buys nothing and costs gathers every step."""


def _weights_gb(ctx: RuleContext) -> float | None:
    """The frozen base's size in GPU memory: 2 bytes a parameter in bf16/fp16, 4 in fp32, half a byte in 4-bit."""
    if ctx.facts is None or ctx.facts.parameter_count is None:
        return None
    config = ctx.config
    if config.load_in_4bit:
        per_param = 0.5
    elif config.load_in_8bit:
        per_param = 1.0
    elif config.bf16 is True or config.fp16:
        per_param = 2.0
    else:
        per_param = 4.0
    return ctx.facts.parameter_count * per_param / 2**30


@rule(
    id="distributed.deepspeed_config_missing",
    severity="error",
    message="deepspeed: {value} is neither a file nor a built-in config ({builtin})",
    why="""DeepSpeed reads its settings (ZeRO stage, offload, precision) from a JSON file. ft-tui ships one for
        each ZeRO stage; axolotl's deepspeed_configs/zeroN.json paths resolve to them.""",
    fix="set deepspeed: zero2 (or zero1, zero3, zero3_offload), or the path of your own JSON file",
    fields=("deepspeed",),
)
def deepspeed_config_missing(ctx: RuleContext) -> Hit | None:
    value = ctx.config.deepspeed
    if not value or sharding.resolve_deepspeed(value) is not None:
        return None
    return Hit({"value": value, "builtin": ", ".join(sharding.builtin_deepspeed())})


@rule(
    id="distributed.deepspeed_config_unreadable",
    severity="error",
    message="deepspeed: {value} {problem}",
    why="""DeepSpeed reads its settings (ZeRO stage, offload, precision) from this JSON file when the run starts; a
        file it cannot read stops the run after the model and data have been loaded.""",
    fix="fix the JSON file, or use a built-in: deepspeed: zero2 (or zero1, zero3, zero3_offload)",
    fields=("deepspeed",),
)
def deepspeed_config_unreadable(ctx: RuleContext) -> Hit | None:
    problem = sharding.deepspeed_problem(ctx.config)
    return Hit({"value": ctx.config.deepspeed, "problem": problem}) if problem else None


@rule(
    id="distributed.deepspeed_and_fsdp",
    severity="error",
    message="deepspeed and FSDP are both set; a run shards with one of them",
    why="""DeepSpeed ZeRO and FSDP are two ways of splitting the same things (weights, gradients, optimizer
        states) over the GPUs; accelerate can drive only one of them in a run.""",
    fix="keep deepspeed (remove fsdp, fsdp_config and fsdp_version) or keep FSDP (remove deepspeed)",
    fields=("deepspeed", "fsdp", "fsdp_config", "fsdp_version"),
)
def deepspeed_and_fsdp(ctx: RuleContext) -> Hit | None:
    return Hit() if ctx.config.deepspeed and sharding.uses_fsdp(ctx.config) else None


@rule(
    id="distributed.deepspeed_not_installed",
    severity="error",
    message="deepspeed is set but the deepspeed package is not installed",
    why="""The Trainer hands the ZeRO config to the deepspeed library, which builds its kernels for the local
        CUDA toolkit on first use.""",
    fix="pip install deepspeed (on the GPU machine), or remove deepspeed to train with plain data parallelism",
    fields=("deepspeed",),
)
def deepspeed_not_installed(ctx: RuleContext) -> Hit | None:
    if not ctx.config.deepspeed or ctx.target.device != "cuda" or ctx.target.declared:
        return None
    return Hit() if importlib.util.find_spec("deepspeed") is None else None


@rule(
    id="distributed.zero_stage_keeps_full_copies",
    severity="warning",
    stage="preflight",
    message="ZeRO-{stage} keeps the whole {weights:.1f} GB of weights on every GPU ({memory:.0f} GB each)",
    why="""ZeRO-1 splits only the optimizer states over the GPUs and ZeRO-2 adds the gradients; the weights
        stay whole on every GPU. When they fill most of one GPU's memory, activations no longer fit. ZeRO-3
        splits the weights too (each GPU holds 1/N and gathers the rest layer by layer), at the cost of that
        extra traffic every step.""",
    fix="use deepspeed: zero3 (or FSDP), or a 4-bit base (adapter: qlora) to shrink the weights",
    fields=("deepspeed",),
)
def zero_stage_keeps_full_copies(ctx: RuleContext) -> Hit | None:
    stage = sharding.zero_stage(ctx.config)
    weights, memory = _weights_gb(ctx), ctx.target.gpu_memory_gb
    if stage not in (1, 2) or weights is None or not memory or ctx.target.device != "cuda":
        return None
    if weights <= FULL_COPY_SHARE * memory:
        return None
    return Hit({"stage": stage, "weights": weights, "memory": memory})


@rule(
    id="distributed.sharding_small_model",
    severity="warning",
    stage="preflight",
    message="{how} shards {weights:.1f} GB of weights that fit {memory:.0f} GB GPUs whole",
    why="""Sharding the weights lets a model too big for one GPU train at all, but each forward and backward
        pass then gathers every layer from the other GPUs. A LoRA of a model that fits one GPU trains faster
        with its weights whole: plain data parallelism, or ZeRO-1/2 to split only the optimizer states.""",
    fix="remove {key} (plain data parallelism) or use deepspeed: zero2",
    fields=("deepspeed", "fsdp_config", "fsdp_version"),
)
def sharding_small_model(ctx: RuleContext) -> Hit | None:
    weights, memory = _weights_gb(ctx), ctx.target.gpu_memory_gb
    if weights is None or not memory or ctx.target.device != "cuda" or weights >= SMALL_MODEL_SHARE * memory:
        return None
    if sharding.zero_stage(ctx.config) == 3:
        return Hit({"how": "ZeRO-3", "weights": weights, "memory": memory, "key": "deepspeed"})
    if sharding.uses_fsdp(ctx.config):
        return Hit({"how": "FSDP", "weights": weights, "memory": memory, "key": "fsdp_config"})
    return None


@rule(
    id="distributed.offload_is_slow",
    severity="warning",
    message="{what} are offloaded to CPU RAM: larger models fit, but each step is several times slower",
    why="""Offloading keeps {what} in the machine's RAM and moves them over PCIe every step (and runs the
        optimizer step on the CPU). It lets a model train that would not fit the GPUs otherwise; when it fits
        without offload, the same run is typically 2-5x faster. It also needs CPU RAM for what is moved:
        about 12 bytes per trained parameter for Adam's states.""",
    fix="use a built-in without offload (deepspeed: zero3, or offload_params: false) when the model fits",
    fields=("deepspeed", "fsdp_config"),
)
def offload_is_slow(ctx: RuleContext) -> Hit | None:
    moved = sharding.offloads(ctx.config)
    return Hit({"what": " and ".join(moved)}) if moved else None


@rule(
    id="distributed.fsdp_gradient_checkpointing",
    severity="warning",
    message="gradient_checkpointing with FSDP gathers each layer's weights twice in the backward pass",
    why="""The model's own gradient checkpointing recomputes activations outside FSDP's view, so FSDP gathers
        the sharded weights again for the recomputation. FSDP's own activation checkpointing does the same
        saving without the extra gather.""",
    fix="set gradient_checkpointing: false and fsdp_config: activation_checkpointing: true",
    fields=("gradient_checkpointing", "fsdp_config"),
    mechanical=True,
)
def fsdp_gradient_checkpointing(ctx: RuleContext) -> Hit | None:
    if not (sharding.uses_fsdp(ctx.config) and ctx.config.gradient_checkpointing):
        return None
    fsdp_config = {**(ctx.config.fsdp_config or {}), "activation_checkpointing": True}
    return Hit(changes={"gradient_checkpointing": False, "fsdp_config": fsdp_config})


@rule(
    id="distributed.fsdp_version_1",
    severity="warning",
    message="fsdp_version: 1 is deprecated; transformers is dropping FSDP1",
    why="""FSDP2 (torch's fully_shard) shards each parameter on its own, works with LoRA's mix of frozen and
        trained weights without use_orig_params, and saves memory over FSDP1. transformers has announced the
        removal of FSDP1.""",
    fix="set fsdp_version: 2 (the built-in presets/fsdp/fsdp2.yml)",
    fields=("fsdp_version",),
    mechanical=True,
)
def fsdp_version_1(ctx: RuleContext) -> Hit | None:
    options = sharding.fsdp_options(ctx.config)
    return Hit(changes={"fsdp_version": 2}) if options is not None and options.get("version") == 1 else None


@rule(
    id="distributed.needs_cuda",
    severity="error",
    message="{key} is set; DeepSpeed and FSDP need CUDA GPUs, and this target is {device}",
    why="""DeepSpeed and fully-sharded data parallel split a model across several GPUs. They do not run on a
        CPU; for a config meant for a GPU server, validate with --device cuda.""",
    fix="remove {key} to train here, or validate with --device cuda",
    fields=("deepspeed", "fsdp", "fsdp_config", "fsdp_version"),
    mechanical=True,
)
def distributed_needs_cuda(ctx: RuleContext) -> Hit | None:
    if ctx.target.device == "cuda":
        return None
    keys = [key for key in ("deepspeed", "fsdp", "fsdp_config", "fsdp_version") if getattr(ctx.config, key)]
    if not keys:
        return None
    # Every sharding key goes: removing only the first would leave the next one to fire the same error.
    return Hit({"key": keys[0], "device": ctx.target.device.upper()}, fields=(keys[0],), changes=dict.fromkeys(keys))
