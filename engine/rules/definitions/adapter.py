"""Rules about LoRA, QLoRA and quantised loading."""

from __future__ import annotations

import re

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="adapter.qlora_needs_4bit",
    severity="error",
    message="adapter: qlora needs load_in_4bit: true",
    why="""QLoRA is LoRA trained on a base model whose frozen weights are stored in 4 bits. Without
        load_in_4bit the base loads in full precision, so the run would be plain LoRA under a misleading name
        and use several times the memory you planned for.""",
    fix="set load_in_4bit: true, or use adapter: lora",
    fields=("adapter", "load_in_4bit"),
)
def qlora_needs_4bit(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    return Hit() if config.adapter == "qlora" and not config.load_in_4bit else None


@rule(
    id="quant.needs_adapter",
    severity="error",
    message="load_in_{bits}bit needs an adapter (lora or qlora)",
    why="""Quantised weights cannot be trained directly: their values are packed integers with no gradient.
        Only an adapter (LoRA) trained beside the frozen quantised base can learn.""",
    fix="set adapter: lora (8-bit) or adapter: qlora (4-bit), or turn load_in_{bits}bit off",
    fields=("adapter", "load_in_8bit", "load_in_4bit"),
)
def quantisation_needs_adapter(ctx: RuleContext) -> Hit | None:
    bits = _quantised_bits(ctx)
    return Hit({"bits": bits}) if bits and not ctx.config.uses_lora() else None


@rule(
    id="quant.lora_with_4bit",
    severity="warning",
    message="load_in_4bit with adapter: lora means QLoRA here but not in axolotl",
    why="""This engine loads the base in 4-bit NF4 whenever load_in_4bit is on (the QLoRA recipe). axolotl quantises
        to 4 bits only for adapter: qlora; with adapter: lora it loads the base unquantised, so the same YAML needs
        several times more GPU memory there and trains a different model.""",
    fix="set adapter: qlora to mean QLoRA in both, or turn load_in_4bit off for a plain LoRA",
    fields=("adapter", "load_in_4bit"),
)
def lora_with_4bit(ctx: RuleContext) -> Hit | None:
    return Hit() if ctx.config.adapter == "lora" and ctx.config.load_in_4bit else None


@rule(
    id="quant.both_bit_widths",
    severity="error",
    message="load_in_8bit and load_in_4bit are both on",
    why="A model is loaded at one bit width; the two switches contradict each other.",
    fix="keep one: load_in_4bit for QLoRA, load_in_8bit for 8-bit LoRA",
    fields=("load_in_8bit", "load_in_4bit"),
)
def both_bit_widths(ctx: RuleContext) -> Hit | None:
    return Hit() if ctx.config.load_in_8bit and ctx.config.load_in_4bit else None


@rule(
    id="quant.needs_cuda",
    severity="error",
    message="load_in_{bits}bit needs a CUDA GPU; the target is {device}",
    why="""8- and 4-bit loading uses bitsandbytes kernels, which run on NVIDIA GPUs. On a CPU the model would
        fail to load. A config meant for a GPU server can still be checked here with --device cuda.""",
    fix="turn load_in_{bits}bit off (and use adapter: lora) to train here, or validate with --device cuda",
    fields=("load_in_8bit", "load_in_4bit"),
)
def quantisation_needs_cuda(ctx: RuleContext) -> Hit | None:
    bits = _quantised_bits(ctx)
    if bits and ctx.target.device != "cuda":
        return Hit({"bits": bits, "device": ctx.target.device.upper()})
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


def _quantised_bits(ctx: RuleContext) -> int | None:
    if ctx.config.load_in_4bit:
        return 4
    if ctx.config.load_in_8bit:
        return 8
    return None


MAX_KNOWN_HIDDEN_SIZE = 16384
"""The widest hidden size of the models ft-tui has met (Llama 3.1 405B); the rank limit while the model's own
config.json is not on disk."""


def rank_limit(ctx: RuleContext) -> tuple[int, str]:
    """The largest useful LoRA rank and where it comes from: the model's hidden size, else the widest known."""
    hidden = ctx.facts.hidden_size if ctx.facts is not None else None
    if hidden:
        return hidden, f"{ctx.config.base_model}'s hidden size"
    return MAX_KNOWN_HIDDEN_SIZE, "the hidden size of any model ft-tui knows"


@rule(
    id="lora.rank_above_hidden_size",
    severity="error",
    message="lora_r {rank:,} is above {source} ({limit:,})",
    why="""LoRA learns a rank-r update of each targeted weight matrix. A rank above the matrix's smaller side
        (the hidden size) adds no expressive power: the adapter would be larger than the weights it adapts,
        cost more memory than a full fine-tune, and stop being low-rank at all. Usual ranks are 8 to 64.""",
    fix="set lora_r to 16 (and lora_alpha to 32); ranks up to 64 suit most tasks",
    fields=("lora_r",),
)
def rank_above_hidden_size(ctx: RuleContext) -> Hit | None:
    if not ctx.config.uses_lora():
        return None
    limit, source = rank_limit(ctx)
    rank = ctx.config.lora_r
    return Hit({"rank": rank, "limit": limit, "source": source}) if rank > limit else None


@rule(
    id="lora.alpha_rank_ratio",
    severity="warning",
    message="lora_alpha / lora_r = {ratio:g}, outside the usual 0.25-4",
    why="""LoRA scales its update by alpha / r. Far below 0.25 the adapter barely changes the model and learns
        slowly; far above 4 the updates are large and training tends to diverge unless the learning rate is
        lowered. Most recipes use alpha = r or alpha = 2 x r.""",
    fix="set lora_alpha to {suggested} (2 x lora_r)",
    fields=("lora_r", "lora_alpha"),
)
def alpha_rank_ratio(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.uses_lora() or config.lora_r > rank_limit(ctx)[0]:
        return None  # an impossible rank is its own error; scaling alpha to it would only repeat the mistake
    ratio = config.lora_alpha / config.lora_r
    if 0.25 <= ratio <= 4:
        return None
    return Hit({"ratio": ratio, "suggested": 2 * config.lora_r})


@rule(
    id="lora.no_target_modules",
    severity="warning",
    message="no LoRA targets: neither lora_target_modules nor lora_target_linear is set",
    why="""Without targets, peft falls back to its per-architecture default, for Llama only q_proj and v_proj.
        That trains a small slice of the model; adapting every linear layer usually learns noticeably better
        for a modest cost.""",
    fix="set lora_target_linear: true, or list lora_target_modules",
    fields=("lora_target_modules", "lora_target_linear"),
)
def no_target_modules(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.uses_lora() and not config.lora_target_modules and not config.lora_target_linear:
        return Hit()
    return None


@rule(
    id="lora.invalid_target_regex",
    severity="error",
    message="lora_target_modules is not a valid regular expression: {error}",
    why="""A single string in lora_target_modules is matched as a regular expression against module names. This
        one cannot be compiled, so no module could be selected.""",
    fix="fix the pattern (e.g. '.*(q_proj|v_proj)$') or give a list of module names",
    fields=("lora_target_modules",),
)
def invalid_target_regex(ctx: RuleContext) -> Hit | None:
    pattern = ctx.config.lora_target_modules
    if not isinstance(pattern, str):
        return None
    try:
        re.compile(pattern)
    except re.error as error:
        return Hit({"error": str(error)})
    return None


@rule(
    id="lora.unknown_target_modules",
    severity="error",
    message="lora_target_modules names {missing}, which {model} does not have",
    why="""peft matches these names against the model's modules; a name that matches nothing is a typo or a
        module from another architecture, and peft stops with an error after the model has loaded.""",
    fix="use the model's linear layers: {available}",
    fields=("lora_target_modules",),
    stage="preflight",
)
def unknown_target_modules(ctx: RuleContext) -> Hit | None:
    targets = ctx.config.lora_target_modules
    if ctx.facts is None or not isinstance(targets, list) or not ctx.config.uses_lora():
        return None
    known = set(ctx.facts.linear_module_names) | {"embed_tokens", "lm_head"}
    missing = [name for name in targets if name not in known]
    if not missing:
        return None
    return Hit(
        {
            "missing": ", ".join(missing),
            "model": ctx.config.base_model,
            "available": ", ".join(ctx.facts.linear_module_names),
        }
    )


@rule(
    id="lora.settings_without_adapter",
    severity="warning",
    message="LoRA settings are given but adapter is empty, so this is a full fine-tune and they are ignored",
    why="""An empty adapter trains every weight of the model; lora_r, lora_alpha and the targets only apply to
        an adapter. A full fine-tune needs several times the memory of LoRA, which is rarely what is meant
        when LoRA settings are present.""",
    fix="set adapter: lora, or remove the lora_* keys",
    fields=("adapter", "lora_r", "lora_alpha", "lora_target_modules", "lora_target_linear"),
)
def settings_without_adapter(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    lora_keys = {"lora_r", "lora_alpha", "lora_target_modules", "lora_target_linear"}
    if config.adapter is None and lora_keys & config.model_fields_set:
        return Hit()
    return None


@rule(
    id="tokens.new_tokens_need_trained_embeddings",
    severity="error",
    message="new tokens are added but lora_modules_to_save lacks {missing}",
    why="""Added tokens get fresh, random embedding rows. With LoRA the embedding matrix and the output head are
        frozen unless listed in lora_modules_to_save, so the model could never learn what the new tokens mean
        and would produce noise wherever they appear.""",
    fix="add {missing} to lora_modules_to_save",
    fields=("tokens", "lora_modules_to_save"),
    engines=("ft-tui",),
)
def new_tokens_need_trained_embeddings(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.tokens or not config.uses_lora():
        return None
    saved = set(config.lora_modules_to_save or [])
    missing = [name for name in ("embed_tokens", "lm_head") if name not in saved]
    return Hit({"missing": " and ".join(missing)}) if missing else None
