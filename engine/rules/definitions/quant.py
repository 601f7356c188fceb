"""Rules about loading the base model quantised (8-bit, 4-bit)."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


def _quantised_bits(ctx: RuleContext) -> int | None:
    if ctx.config.load_in_4bit:
        return 4
    if ctx.config.load_in_8bit:
        return 8
    return None


@rule(
    id="quant.needs_adapter",
    severity="error",
    message="load_in_{bits}bit needs an adapter (lora or qlora)",
    why="""Quantised weights cannot be trained directly: their values are packed integers with no gradient.
        Only an adapter (LoRA) trained beside the frozen quantised base can learn.""",
    fix="set adapter: lora (8-bit) or adapter: qlora (4-bit), or turn load_in_{bits}bit off",
    fields=("adapter", "load_in_8bit", "load_in_4bit"),
    mechanical=True,
)
def quantisation_needs_adapter(ctx: RuleContext) -> Hit | None:
    bits = _quantised_bits(ctx)
    if not bits or ctx.config.uses_lora():
        return None
    return Hit({"bits": bits}, changes={"adapter": "qlora" if bits == 4 else "lora"})


@rule(
    id="quant.lora_with_4bit",
    severity="warning",
    message="load_in_4bit with adapter: lora means QLoRA here but not in axolotl",
    why="""This engine loads the base in 4-bit NF4 whenever load_in_4bit is on (the QLoRA recipe). axolotl quantises
        to 4 bits only for adapter: qlora; with adapter: lora it loads the base unquantised, so the same YAML needs
        several times more GPU memory there and trains a different model.""",
    fix="set adapter: qlora to mean QLoRA in both, or turn load_in_4bit off for a plain LoRA",
    fields=("adapter", "load_in_4bit"),
    mechanical=True,
)
def lora_with_4bit(ctx: RuleContext) -> Hit | None:
    return Hit(changes={"adapter": "qlora"}) if ctx.config.adapter == "lora" and ctx.config.load_in_4bit else None


@rule(
    id="quant.both_bit_widths",
    severity="error",
    message="load_in_8bit and load_in_4bit are both on",
    why="A model is loaded at one bit width; the two switches contradict each other.",
    fix="keep one: load_in_4bit for QLoRA, load_in_8bit for 8-bit LoRA",
    fields=("load_in_8bit", "load_in_4bit"),
    mechanical=True,
)
def both_bit_widths(ctx: RuleContext) -> Hit | None:
    if not (ctx.config.load_in_8bit and ctx.config.load_in_4bit):
        return None
    # The width the adapter asks for: 4-bit for QLoRA, else 8-bit (4-bit with adapter: lora means QLoRA only here).
    return Hit(changes={"load_in_8bit": False} if ctx.config.adapter == "qlora" else {"load_in_4bit": False})


@rule(
    id="quant.needs_cuda",
    severity="error",
    message="load_in_{bits}bit needs a CUDA GPU; the target is {device}",
    why="""8- and 4-bit loading uses bitsandbytes kernels, which run on NVIDIA GPUs. On a CPU the model would
        fail to load. A config meant for a GPU server is judged for that server once the server is declared.""",
    fix="for a GPU server, declare it (Train on: a CUDA GPU in the wizard, `--device cuda` on the command line); "
    "to train here, turn load_in_{bits}bit off and use adapter: lora",
    fields=("load_in_8bit", "load_in_4bit"),
)
def quantisation_needs_cuda(ctx: RuleContext) -> Hit | None:
    bits = _quantised_bits(ctx)
    if bits and ctx.target.device != "cuda":
        return Hit({"bits": bits, "device": ctx.target.device.upper()}, retarget="cuda")
    return None


@rule(
    id="quant.needs_bitsandbytes",
    severity="error",
    message="load_in_{bits}bit needs the bitsandbytes package, which is not installed",
    why="The quantised layers come from bitsandbytes; transformers cannot load 8/4-bit weights without it.",
    fix="pip install 'ft-tui[cuda]' (or pip install bitsandbytes)",
    fields=("load_in_8bit", "load_in_4bit"),
)
def quantisation_needs_bitsandbytes(ctx: RuleContext) -> Hit | None:
    bits = _quantised_bits(ctx)
    if bits and ctx.target.device == "cuda" and not ctx.target.has_bitsandbytes:
        return Hit({"bits": bits})
    return None
