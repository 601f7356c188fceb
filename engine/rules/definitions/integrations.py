"""Rules about the base model's origin, experiment tracking, and axolotl features ft-tui does not run yet."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from engine.config.sections_integrations import NotYetSupportedSection
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext

IGNORED_KEYS = ("hub_model_id", "hub_strategy", "strict", "debug", "sample_packing_eff_est")
"""axolotl keys that are harmless to keep: ft-tui reads them and does nothing (axolotl still does)."""


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
    fix="pip install 'ft-tui[wandb]', or remove wandb_project",
    fields=("wandb_project",),
)
def wandb_not_installed(ctx: RuleContext) -> Hit | None:
    if ctx.config.wandb_project and importlib.util.find_spec("wandb") is None:
        return Hit()
    return None


@rule(
    id="wandb.no_credentials",
    severity="warning",
    message="wandb_project is set but no W&B API key is configured",
    why="""W&B needs an API key to upload the run. In an interactive terminal ft-tui asks for it (hidden input,
        never written anywhere); a detached or CI run cannot ask and stops instead.""",
    fix="export WANDB_API_KEY=..., or run `wandb login` once, or set wandb_mode: offline",
    fields=("wandb_project",),
)
def wandb_no_credentials(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.wandb_project or config.wandb_mode in ("offline", "disabled"):
        return None
    if os.environ.get("WANDB_API_KEY") or _netrc_has_wandb():
        return None
    return Hit()


def _netrc_has_wandb() -> bool:
    try:
        return "api.wandb.ai" in (Path.home() / ".netrc").read_text()
    except OSError:
        return False


@rule(
    id="config.not_supported_yet",
    severity="error",
    message="{keys}: axolotl feature{plural} that ft-tui does not run yet",
    why="""ft-tui reads every axolotl key so your config loads and saves unchanged, but it trains supervised
        LoRA and full fine-tunes only. Rather than silently training something else, it stops. The same file
        still runs under axolotl.""",
    fix="remove {keys} to train with ft-tui, or run this config with axolotl",
    fields=tuple(name for name in NotYetSupportedSection.model_fields if name not in IGNORED_KEYS),
)
def not_supported_yet(ctx: RuleContext) -> Hit | None:
    keys = [key for key in ctx.config.unsupported_keys_set() if key not in IGNORED_KEYS]
    if not keys:
        return None
    return Hit({"keys": ", ".join(keys), "plural": "s" if len(keys) > 1 else ""}, fields=tuple(keys))


@rule(
    id="config.ignored_axolotl_key",
    severity="warning",
    message="{keys}: kept in the file for axolotl, ignored by ft-tui",
    why="""These keys change how axolotl behaves around the run (uploading to the hub, its own debugging and
        estimates) but not what is trained. ft-tui keeps them so the file still works under axolotl.""",
    fix="nothing to do; remove them if the config is only for ft-tui",
    fields=IGNORED_KEYS,
)
def ignored_axolotl_key(ctx: RuleContext) -> Hit | None:
    keys = [key for key in IGNORED_KEYS if getattr(ctx.config, key) not in (None, False, "")]
    return Hit({"keys": ", ".join(keys)}, fields=tuple(keys)) if keys else None
