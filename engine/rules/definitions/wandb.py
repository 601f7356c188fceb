"""Rules about Weights & Biases tracking: installed, and logged in."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext
from engine.wandb_access import INSTALL_FIX, KEY_FIX, needs_wandb_key, wandb_installed


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
