"""Rules about the base model: its origin, access and context length."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="model.sequence_len_above_context",
    severity="error",
    message="sequence_len {sequence_len} is above {model}'s context length {context}",
    why="""The model was trained with positions up to its context length; longer sequences run past its
        position embeddings (or RoPE range), which fails or produces garbage.""",
    fix="set sequence_len to {context} or less",
    fields=("sequence_len",),
    stage="preflight",
    mechanical=True,
)
def sequence_len_above_context(ctx: RuleContext) -> Hit | None:
    facts = ctx.facts
    if facts is None or not facts.context_length or ctx.config.sequence_len <= facts.context_length:
        return None
    return Hit(
        {"sequence_len": ctx.config.sequence_len, "model": ctx.config.base_model, "context": facts.context_length},
        changes={"sequence_len": facts.context_length},
    )


@rule(
    id="model.trust_remote_code",
    severity="warning",
    message="trust_remote_code: true runs Python code downloaded with {model}",
    why="""Some hub models ship their own modelling code. With trust_remote_code that code runs on your machine
        with your permissions, so only enable it for repositories you trust, ideally pinned with
        revision_of_model.""",
    fix="remove trust_remote_code unless the model needs it and you trust its authors",
    fields=("trust_remote_code",),
)
def trust_remote_code(ctx: RuleContext) -> Hit | None:
    return Hit({"model": ctx.config.base_model}) if ctx.config.trust_remote_code else None


@rule(
    id="model.gated_needs_token",
    severity="error",
    message="{model} is a gated model and no Hugging Face access token was found",
    why="""Gated models (Llama, Mistral, Gemma ...) can only be downloaded after you accept their licence on the
        hub, with a token that proves it. Checking now saves you from preparing the data and then failing at the
        download.""",
    fix="accept the licence on the model's hub page, then run `hf auth login` (or export HF_TOKEN=...)",
    fields=("base_model",),
)
def gated_needs_token(ctx: RuleContext) -> Hit | None:
    from engine.models.hub import cached_snapshot, is_gated
    from engine.models.locations import local_folder

    model = ctx.config.base_model
    if not is_gated(model) or local_folder(model) is not None or cached_snapshot(model) is not None:
        return None
    from huggingface_hub import get_token

    return None if get_token() else Hit({"model": model})
