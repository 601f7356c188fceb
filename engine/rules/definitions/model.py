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
    id="model.folder_missing",
    severity="error",
    message="base_model {model} is written as a path, and no such folder exists",
    why="""A value like /x, ./x, ~/x or a/b/c can only be a folder on disk (a hub id is `name` or `org/name`), so
        nothing would be downloaded: the run would stop when it loads the model. For a config declared for a GPU
        server the folder is the server's, so it is not looked for here.""",
    fix="fix the path to the model's folder, or use a hub id like `HuggingFaceTB/SmolLM2-135M-Instruct`",
    fields=("base_model",),
)
def folder_missing(ctx: RuleContext) -> Hit | None:
    from engine.config.paths import written_as_path
    from engine.models.locations import local_folder

    model = ctx.config.base_model
    if _trains_elsewhere(ctx):  # the folder is the server's (often an earlier stage's output), not this machine's
        return None
    return Hit({"model": model}) if written_as_path(model) and local_folder(model) is None else None


@rule(
    id="model.gated_needs_token",
    severity="error",
    message="{model} is a gated model and no Hugging Face access token was found",
    why="""Gated models (Llama, Mistral, Gemma ...) can only be downloaded after you accept their licence on the
        hub, with a token that proves it. Checking now saves you from preparing the data and then failing at the
        download.""",
    fix="accept the licence on the model's hub page, then run `hf auth login` (or export HF_TOKEN=...); for a "
    "config meant for a GPU server, declare it (`--device cuda`, or Train on: a CUDA GPU in the wizard)",
    fields=("base_model",),
)
def gated_needs_token(ctx: RuleContext) -> Hit | None:
    return None if _trains_elsewhere(ctx) else _gated_without_token(ctx)


@rule(
    id="model.gated_token_on_server",
    severity="note",
    message="{model} is a gated model: the GPU server needs a Hugging Face token that can read it",
    why="""The config is meant for a declared GPU machine, and the token that matters is that machine's: this one
        having none says nothing about it. The run there stops at the download without one.""",
    fix="on the server, accept the licence on the model's hub page and run `hf auth login` (or export HF_TOKEN=...)",
    fields=("base_model",),
)
def gated_token_on_server(ctx: RuleContext) -> Hit | None:
    return _gated_without_token(ctx) if _trains_elsewhere(ctx) else None


def _trains_elsewhere(ctx: RuleContext) -> bool:
    """A declared CUDA target: the config is judged for a GPU server, whose token this machine cannot see."""
    return ctx.target.declared and ctx.target.device == "cuda"


def _gated_without_token(ctx: RuleContext) -> Hit | None:
    """The hit when the base model is gated, not on disk, and no token is found here."""
    from engine.models.hub import cached_snapshot, is_gated
    from engine.models.locations import local_folder

    model = ctx.config.base_model
    if not is_gated(model) or local_folder(model) is not None or cached_snapshot(model) is not None:
        return None
    from huggingface_hub import get_token

    return None if get_token() else Hit({"model": model})
