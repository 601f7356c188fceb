"""Rules about the adapter type itself (QLoRA needs a 4-bit base)."""

from __future__ import annotations

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
    mechanical=True,
)
def qlora_needs_4bit(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    return Hit(changes={"load_in_4bit": True}) if config.adapter == "qlora" and not config.load_in_4bit else None
