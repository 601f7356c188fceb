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


MAX_BATCH_TOKENS = 2**31 - 1
"""Most tokens one forward pass may hold: past 2**31, PyTorch's 32-bit tensor indexes overflow, and no device has
the memory for the activations anyway."""


@rule(
    id="batch.micro_batch_too_large",
    severity="error",
    message="micro_batch_size {micro:,} x sequence_len {sequence_len:,} is {tokens:,} tokens in one forward pass, "
    "more than {limit:,}",
    why="""One forward pass holds micro_batch_size x sequence_len tokens at once, and memory grows with that
        product. Past 2**31 tokens PyTorch's tensor indexes overflow and no GPU or CPU has room for the
        activations: the run would stop in the memory allocator. A larger effective batch comes from
        gradient_accumulation_steps, which costs no memory.""",
    fix="set micro_batch_size to {suggested} and raise gradient_accumulation_steps for a larger effective batch",
    fields=("micro_batch_size", "sequence_len"),
    mechanical=True,
)
def micro_batch_too_large(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    tokens = config.micro_batch_size * config.sequence_len
    if tokens <= MAX_BATCH_TOKENS:
        return None
    suggested = min(8, MAX_BATCH_TOKENS // config.sequence_len)
    values = {
        "micro": config.micro_batch_size,
        "sequence_len": config.sequence_len,
        "tokens": tokens,
        "limit": MAX_BATCH_TOKENS,
        "suggested": suggested,
    }
    return Hit(values, changes={"micro_batch_size": suggested})
