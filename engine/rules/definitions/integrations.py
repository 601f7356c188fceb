"""Rules about the base model's origin and experiment tracking."""

from __future__ import annotations

from pathlib import Path

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext
from engine.wandb_access import INSTALL_FIX, KEY_FIX, needs_wandb_key, wandb_installed


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

    model = ctx.config.base_model
    if not is_gated(model) or Path(model).expanduser().exists() or cached_snapshot(model) is not None:
        return None
    from huggingface_hub import get_token

    return None if get_token() else Hit({"model": model})


@rule(
    id="wandb.not_installed",
    severity="error",
    message="wandb_project is set but the wandb package is not installed",
    why="Logging to Weights & Biases goes through its Python client, an optional extra of ft-tui.",
    fix=INSTALL_FIX,
    fields=("wandb_project",),
    engines=("ft-tui",),
)
def wandb_not_installed(ctx: RuleContext) -> Hit | None:
    if ctx.config.wandb_project and not wandb_installed():
        return Hit()
    return None


@rule(
    id="wandb.no_credentials",
    severity="warning",
    message="wandb_project is set but no W&B API key is configured",
    why="""W&B needs an API key to upload the run. In an interactive terminal ft-tui asks for it (hidden input,
        never written anywhere); a detached or CI run cannot ask and stops instead.""",
    fix=KEY_FIX,
    fields=("wandb_project",),
)
def wandb_no_credentials(ctx: RuleContext) -> Hit | None:
    return Hit() if needs_wandb_key(ctx.config) else None
