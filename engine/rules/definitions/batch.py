"""Rules about how the batch sizes fit together."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="batch.inconsistent_sizes",
    severity="error",
    message="batch_size {batch_size} != micro_batch_size {micro} x gradient_accumulation_steps {accumulation}",
    why="""The effective batch is micro_batch_size x gradient_accumulation_steps x number of devices. axolotl's
        older batch_size key states it directly; when all three are given and disagree, the run would not
        use the batch you think it does.""",
    fix="remove batch_size, or set gradient_accumulation_steps: {derived}",
    fields=("batch_size", "micro_batch_size", "gradient_accumulation_steps"),
    mechanical=True,
)
def inconsistent_batch_sizes(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.batch_size is None or "gradient_accumulation_steps" not in config.model_fields_set:
        return None
    product = config.micro_batch_size * config.gradient_accumulation_steps * ctx.world_size
    if config.batch_size == product:
        return None
    derived = max(1, config.batch_size // (config.micro_batch_size * ctx.world_size))
    exact = derived * config.micro_batch_size * ctx.world_size == config.batch_size
    # The accumulation that makes the three agree; when none does, batch_size goes and the other two decide.
    changes: dict[str, int | None] = {"gradient_accumulation_steps": derived} if exact else {"batch_size": None}
    return Hit(
        {
            "batch_size": config.batch_size,
            "micro": config.micro_batch_size,
            "accumulation": config.gradient_accumulation_steps,
            "derived": derived,
        },
        changes=changes,
    )
