"""Rules about sequence length and sample packing that need the tokenized data or the model's facts."""

from __future__ import annotations

from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext
from engine.wording import count, gib


@rule(
    id="packing.eval_split_too_small",
    severity="error",
    message="eval dataset split is too small for sample_packing; set eval_sample_packing: false "
    "({eval_tokens} eval tokens pack into {eval_batches_text}, fewer than the {needed} needed)",
    why="""With eval_sample_packing on, the {eval_rows} eval rows ({eval_tokens} tokens) are packed into {eval_bins}
        rows of sequence_len {sequence_len} tokens, grouped {micro} per batch: {eval_packed_text}.
        Packed evaluation needs at least gradient_accumulation_steps x devices = {needed} of them, or the eval
        loop has nothing to run on some step (axolotl stops with this same message). A small eval split is
        better evaluated unpacked: it is cheap, and every row is seen exactly once.""",
    fix="set eval_sample_packing: false (or raise val_set_size)",
    fields=("eval_sample_packing", "val_set_size", "sample_packing", "gradient_accumulation_steps"),
    stage="preflight",
)
def eval_split_too_small(ctx: RuleContext) -> Hit | None:
    data = ctx.data
    config = ctx.config
    if data is None or not config.effective_eval_sample_packing() or data.eval_rows == 0:
        return None
    needed = config.effective_gradient_accumulation_steps(ctx.world_size) * ctx.world_size
    if data.eval_batches >= needed:
        return None
    return Hit(
        {
            "eval_rows": data.eval_rows,
            "eval_tokens": data.eval_tokens,
            "eval_bins": data.eval_bins,
            "eval_batches": data.eval_batches,
            "eval_batches_text": count(data.eval_batches, "batch", "batches"),
            "eval_packed_text": count(data.eval_batches, "packed batch", "packed batches"),
            "needed": needed,
            "sequence_len": config.sequence_len,
            "micro": config.micro_batch_size,
        }
    )


@rule(
    id="model.sequence_len_above_context",
    severity="error",
    message="sequence_len {sequence_len} is above {model}'s context length {context}",
    why="""The model was trained with positions up to its context length; longer sequences run past its
        position embeddings (or RoPE range), which fails or produces garbage.""",
    fix="set sequence_len to {context} or less",
    fields=("sequence_len",),
    stage="preflight",
)
def sequence_len_above_context(ctx: RuleContext) -> Hit | None:
    facts = ctx.facts
    if facts is None or not facts.context_length or ctx.config.sequence_len <= facts.context_length:
        return None
    return Hit(
        {"sequence_len": ctx.config.sequence_len, "model": ctx.config.base_model, "context": facts.context_length}
    )


@rule(
    id="packing.padding_wastes_compute",
    severity="warning",
    message="pad_to_sequence_len pads every row to {sequence_len} tokens without packing",
    why="""Each row is padded to the full sequence_len, so short rows spend most of their compute on padding.
        Packing fills those rows with other samples instead (isolated from each other), usually 2-5x fewer
        steps for the same data.""",
    fix="set sample_packing: true, or pad_to_sequence_len: false",
    fields=("pad_to_sequence_len", "sample_packing"),
)
def padding_wastes_compute(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.pad_to_sequence_len and not config.sample_packing:
        return Hit({"sequence_len": config.sequence_len})
    return None


@rule(
    id="packing.eval_packing_without_train_packing",
    severity="warning",
    message="eval_sample_packing is on while sample_packing is off",
    why="""Packed evaluation reports a loss over packed rows, unpacked training over single rows; the two losses
        are computed the same way per token, but the run gets none of packing's speed where it matters, in
        training.""",
    fix="set sample_packing: true, or eval_sample_packing: false",
    fields=("eval_sample_packing", "sample_packing"),
)
def eval_packing_without_train_packing(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    return Hit() if config.eval_sample_packing and not config.sample_packing else None


@rule(
    id="memory.estimate_exceeds_device",
    severity="warning",
    message="estimated memory {needed} exceeds the {available} of {target}",
    why="""The estimate counts {counted}. Runs above the device's memory stop with an out-of-memory error, usually
        after the data has been prepared.""",
    fix="lower micro_batch_size or sequence_len, turn on gradient_checkpointing, or use QLoRA on a GPU",
    fields=("micro_batch_size", "sequence_len", "gradient_checkpointing", "adapter"),
    stage="preflight",
)
def estimate_exceeds_device(ctx: RuleContext) -> Hit | None:
    if ctx.facts is None:
        return None
    from engine.models.memory import memory_fit

    fit = memory_fit(ctx.config, ctx.facts, ctx.target)
    if fit.fits is not False:
        return None
    return Hit(
        {
            "needed": gib(fit.estimate.total_gib),
            "available": gib(fit.available_gib or 0.0),
            "target": ctx.target.describe(),
            "counted": fit.estimate.describe(),
        }
    )
