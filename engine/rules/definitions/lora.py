"""Rules about LoRA settings: rank against the model, alpha, and which modules it targets."""

from __future__ import annotations

import re

from engine.models.targets import default_targets_text
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext

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
    mechanical=True,
)
def rank_above_hidden_size(ctx: RuleContext) -> Hit | None:
    if not ctx.config.uses_lora():
        return None
    limit, source = rank_limit(ctx)
    rank = ctx.config.lora_r
    if rank <= limit:
        return None
    return Hit({"rank": rank, "limit": limit, "source": source}, changes={"lora_r": 16, "lora_alpha": 32})


@rule(
    id="lora.alpha_rank_ratio",
    severity="warning",
    message="lora_alpha / lora_r = {ratio:g}, outside the usual 0.25-4",
    why="""LoRA scales its update by alpha / r. Far below 0.25 the adapter barely changes the model and learns
        slowly; far above 4 the updates are large and training tends to diverge unless the learning rate is
        lowered. Most recipes use alpha = r or alpha = 2 x r.""",
    fix="set lora_alpha to {suggested} (2 x lora_r)",
    fields=("lora_r", "lora_alpha"),
    mechanical=True,
)
def alpha_rank_ratio(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.uses_lora() or config.lora_r > rank_limit(ctx)[0]:
        return None  # an impossible rank is its own error; scaling alpha to it would only repeat the mistake
    ratio = config.lora_alpha / config.lora_r
    if 0.25 <= ratio <= 4:
        return None
    return Hit({"ratio": ratio, "suggested": 2 * config.lora_r}, changes={"lora_alpha": 2 * config.lora_r})


@rule(
    id="lora.no_target_modules",
    severity="warning",
    message="no LoRA targets: neither lora_target_modules nor lora_target_linear is set",
    why="""Without targets, peft falls back to its per-architecture default, {fallback}. That trains a small
        slice of the model; adapting every linear layer usually learns noticeably better for a modest cost.""",
    fix="set lora_target_linear: true, or list lora_target_modules",
    fields=("lora_target_modules", "lora_target_linear"),
    mechanical=True,
)
def no_target_modules(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.uses_lora() and not config.lora_target_modules and not config.lora_target_linear:
        model_type = ctx.facts.model_type if ctx.facts else None
        fallback = f"here {default_targets_text(model_type)}" if model_type else "for Llama q_proj and v_proj"
        return Hit({"fallback": fallback}, changes={"lora_target_linear": True})
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
    mechanical=True,
)
def unknown_target_modules(ctx: RuleContext) -> Hit | None:
    targets = ctx.config.lora_target_modules
    if ctx.facts is None or not isinstance(targets, list) or not ctx.config.uses_lora():
        return None
    known = set(ctx.facts.linear_module_names) | {"embed_tokens", "lm_head"}
    missing = [name for name in targets if name not in known]
    if not missing:
        return None
    kept = [name for name in targets if name in known]
    # Drop the names the model lacks; with none left, target every linear layer rather than peft's default.
    changes = {"lora_target_modules": kept} if kept else {"lora_target_modules": None, "lora_target_linear": True}
    return Hit(
        {
            "missing": ", ".join(missing),
            "model": ctx.config.base_model,
            "available": ", ".join(ctx.facts.linear_module_names),
        },
        changes=changes,
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
    mechanical=True,
)
def settings_without_adapter(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    lora_keys = {"lora_r", "lora_alpha", "lora_target_modules", "lora_target_linear"}
    if config.adapter is None and lora_keys & config.model_fields_set:
        return Hit(changes={"adapter": "lora"})
    return None
