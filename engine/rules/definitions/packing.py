"""Rules about sample packing: its eval split, padding waste, and attention that keeps samples apart."""

from __future__ import annotations

from engine.config.choices import ISOLATING_BACKENDS, KNOWN_BACKENDS
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext
from engine.wording import count


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
    mechanical=True,
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
        },
        changes={"eval_sample_packing": False},
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
    mechanical=True,
)
def padding_wastes_compute(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.pad_to_sequence_len and not config.sample_packing:
        # Padding off changes nothing else; packing would also ask for an isolating attention backend.
        return Hit({"sequence_len": config.sequence_len}, changes={"pad_to_sequence_len": False})
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
    mechanical=True,
)
def eval_packing_without_train_packing(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.eval_sample_packing and not config.sample_packing:
        return Hit(changes={"eval_sample_packing": False})
    return None


@rule(
    id="packing.needs_isolating_attention",
    severity="error",
    message="sample_packing with {backend} would let packed samples attend to each other",
    why="""Packing puts several samples in one row. They must only attend within themselves, otherwise the model
        learns from text that never belonged together and the loss is wrong. The engine isolates samples on
        sdpa and eager (position ids restart per sample), flash_attention_2 (variable-length kernels) and
        xformers (block-diagonal masks); {backend} is not one of them.""",
    fix="set attn_implementation: sdpa (any device) or flash_attention_2 (CUDA), or sample_packing: false",
    fields=("sample_packing", "attn_implementation"),
    engines=("ft-tui",),
    mechanical=True,
)
def packing_needs_isolating_attention(ctx: RuleContext) -> Hit | None:
    backend = ctx.config.requested_attn_implementation()
    if ctx.config.sample_packing and backend in KNOWN_BACKENDS and backend not in ISOLATING_BACKENDS:
        return Hit({"backend": backend}, changes={"attn_implementation": "sdpa"})
    return None
