"""Rules about what the prepared rows train on, once the data is known (preflight)."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="data.empty_training_targets",
    severity="warning",
    message="{count} of {rows} rows have an empty answer (an empty {role} turn) and were dropped",
    why="""A turn the model is trained on that has no text teaches it to reply with nothing: only the end-of-turn
        token would be trained. Such rows usually come from a failed export or a filter that blanked answers.""",
    fix="fill in or remove those rows (`ft-tui preprocess` lists the first of them)",
    fields=("datasets",),
    stage="preflight",
)
def empty_training_targets(ctx: RuleContext) -> Hit | None:
    data = ctx.data
    if data is None:
        return None
    count = data.rows_dropped.get("empty_target", 0)
    if count == 0:
        return None
    return Hit({"count": count, "rows": data.rows_read, "role": "assistant"})
