"""Rules about added tokens and the embeddings they need."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


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
    mechanical=True,
)
def new_tokens_need_trained_embeddings(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.tokens or not config.uses_lora():
        return None
    saved = set(config.lora_modules_to_save or [])
    missing = [name for name in ("embed_tokens", "lm_head") if name not in saved]
    if not missing:
        return None
    modules = [*(config.lora_modules_to_save or []), *missing]
    return Hit({"missing": " and ".join(missing)}, changes={"lora_modules_to_save": modules})
