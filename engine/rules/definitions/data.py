"""Rules about the datasets entries, the evaluation split, and what the prepared rows train on."""

from __future__ import annotations

from engine.config.choices import DATASET_TYPES
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="data.no_datasets",
    severity="error",
    message="no datasets: nothing to train on",
    why="Training needs at least one `datasets:` entry with a path and a type.",
    fix="add e.g. `datasets: [{{path: data.jsonl, type: chat_template}}]`",
    fields=("datasets",),
)
def no_datasets(ctx: RuleContext) -> Hit | None:
    """axolotl's `pretraining_dataset` replaces `datasets` (ft-tui refuses it separately, as axolotl-only)."""
    if ctx.config.datasets or ctx.config.axolotl_keys().get("pretraining_dataset"):
        return None
    return Hit()


@rule(
    id="data.unknown_type",
    severity="error",
    message="datasets[{index}].type: {value} is not a format ft-tui reads",
    why="""The type says how a row becomes a prompt and an answer. ft-tui reads alpaca, chat_template (and the
        deprecated sharegpt), completion, input_output, and pre-tokenized rows (type left empty).""",
    fix="use one of: {known}",
    fields=("datasets",),
    engines=("ft-tui",),
)
def unknown_type(ctx: RuleContext) -> Hit | None:
    for index, dataset in enumerate(ctx.config.datasets):
        name = dataset.type_name()
        if name is not None and name not in DATASET_TYPES:
            return Hit({"index": index, "value": name, "known": ", ".join(DATASET_TYPES)})
    return None


@rule(
    id="data.sharegpt_deprecated",
    severity="warning",
    message="datasets[{index}].type: sharegpt is deprecated; it is read as chat_template",
    why="""axolotl replaced the sharegpt type with chat_template, which reads the same rows through the model's
        own chat template. ShareGPT's from/value keys are mapped with message_property_mappings.""",
    fix="set type: chat_template, field_messages: conversations, message_property_mappings: {{role: from, "
    "content: value}}",
    fields=("datasets",),
)
def sharegpt_deprecated(ctx: RuleContext) -> Hit | None:
    for index, dataset in enumerate(ctx.config.datasets):
        if dataset.type_name() == "sharegpt":
            return Hit({"index": index})
    return None


@rule(
    id="data.dataset_unusable",
    severity="error",
    message="{where}.path: {reason}",
    why="""Training reads every row of each `datasets:` entry. A path that is empty, missing, a folder without data
        files, a binary or unreadable file, or a file none of whose first rows fits the entry's `type` leaves
        nothing to learn from, and the run would stop while loading. A relative path is looked up next to the
        config file, then in the folder you run in.""",
    fix="{fix}",
    fields=("datasets", "test_datasets"),
)
def dataset_unusable(ctx: RuleContext) -> Hit | None:
    from engine.data.inspect import inspect_dataset

    for key in ("datasets", "test_datasets"):
        for index, dataset in enumerate(getattr(ctx.config, key) or []):
            problem = inspect_dataset(dataset)
            if problem is not None:
                return Hit({"where": f"{key}[{index}]", "reason": problem.reason, "fix": problem.fix}, fields=(key,))
    return None


@rule(
    id="data.jinja_template_missing",
    severity="error",
    message="chat_template: jinja is set but chat_template_jinja is empty{where}",
    why='`chat_template: jinja` means "use the template text I give"; without the text there is no template.',
    fix="put the template in chat_template_jinja, or use chat_template: tokenizer_default",
    fields=("chat_template", "chat_template_jinja"),
    mechanical=True,
)
def jinja_template_missing(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.chat_template == "jinja" and not config.chat_template_jinja:
        return Hit({"where": ""}, changes={"chat_template": "tokenizer_default"})
    for index, dataset in enumerate(config.datasets):
        if dataset.chat_template == "jinja" and not (dataset.chat_template_jinja or config.chat_template_jinja):
            return Hit({"where": f" (datasets[{index}])"}, fields=("datasets",))
    return None


@rule(
    id="data.val_set_size_not_whole",
    severity="error",
    message="val_set_size: {value:g} is neither a fraction below 1 nor a whole number of rows",
    why="""val_set_size below 1 is the fraction of rows held out for evaluation (0.05 = 5%); 1 or more is a row
        count, which must be whole.""",
    fix="use a fraction such as 0.05, or a row count such as {whole}",
    fields=("val_set_size",),
    mechanical=True,
)
def val_set_size_not_whole(ctx: RuleContext) -> Hit | None:
    value = ctx.config.val_set_size
    if value >= 1 and value != int(value):
        return Hit({"value": value, "whole": int(value)}, changes={"val_set_size": float(int(value))})
    return None


SMALL_EVAL_COUNT = 10
"""Below this many rows an eval loss is mostly noise, and a whole val_set_size this small is usually a fraction
typed wrong (2.0 meant as 2%)."""


@rule(
    id="data.val_set_size_is_a_count",
    severity="warning",
    message="val_set_size: {value} means {count} row{plural} held out for evaluation, not a fraction",
    why="""val_set_size below 1 is a fraction of the rows (0.05 = 5%); 1 or more is a number of rows, so {value}
        holds out exactly {count}. A loss measured on so few rows jumps from one evaluation to the next and says
        little about how the model does.""",
    fix="use a fraction such as {fraction:g} ({count}% of the rows), or a count of at least {minimum} rows",
    fields=("val_set_size",),
    mechanical=True,
)
def val_set_size_is_a_count(ctx: RuleContext) -> Hit | None:
    value = ctx.config.val_set_size
    if not (1 <= value < SMALL_EVAL_COUNT and value == int(value)) or ctx.config.test_datasets:
        return None
    count = int(value)
    fraction = count / 100  # the usual slip: a per cent typed where a fraction belongs (2.0 meant as 2%)
    return Hit(
        {
            "value": value,
            "count": count,
            "plural": "" if count == 1 else "s",
            "minimum": SMALL_EVAL_COUNT,
            "fraction": fraction,
        },
        changes={"val_set_size": fraction},
    )


@rule(
    id="data.rows_dropped_for_length",
    severity="warning",
    message="{dropped} of {rows} rows ({percent:.0f}%) are longer than sequence_len {sequence_len} and dropped",
    why="""Rows over sequence_len are dropped (or truncated with excess_length_strategy: truncate). Losing many
        rows wastes data, and often the longest answers are the ones worth learning from.""",
    fix="raise sequence_len (see the length histogram of `ft-tui preprocess`), or set excess_length_strategy: truncate",
    fields=("sequence_len", "excess_length_strategy"),
    stage="preflight",
    mechanical=True,
)
def rows_dropped_for_length(ctx: RuleContext) -> Hit | None:
    data = ctx.data
    if data is None:
        return None
    dropped = data.rows_dropped.get("too_long", 0)
    if dropped == 0 or dropped < 0.05 * max(1, data.rows_read) or not _drops_for_length(ctx):
        return None
    if not data.train_rows and not data.eval_rows:
        return None  # nothing at all is left: data.every_row_dropped says so, as an error
    return Hit(
        changes=_fit_longest(ctx),
        values={
            "dropped": dropped,
            "rows": data.rows_read,
            "percent": 100 * dropped / max(1, data.rows_read),
            "sequence_len": ctx.config.sequence_len,
        },
    )


SEQUENCE_LEN_STEP = 64
"""A raised sequence_len is rounded up to a multiple of this (kernels and packing like round lengths)."""


def _drops_for_length(ctx: RuleContext) -> bool:
    """Whether the current settings still drop over-long rows: facts measured before sequence_len was raised
    past the longest row, or before truncation was chosen, describe settings that are no longer there."""
    data = ctx.data
    assert data is not None
    if ctx.config.effective_excess_length_strategy() == "truncate":
        return False
    return not (data.longest_read and ctx.config.sequence_len >= data.longest_read)


def _fit_longest(ctx: RuleContext) -> dict[str, object]:
    """A sequence_len that holds the longest row read, unless that is past the model's context: then truncate."""
    data = ctx.data
    assert data is not None
    longest = -(-data.longest_read // SEQUENCE_LEN_STEP) * SEQUENCE_LEN_STEP
    context = ctx.facts.context_length if ctx.facts is not None else None
    if not longest or (context and longest > context):
        return {"excess_length_strategy": "truncate"}
    return {"sequence_len": longest}


NOTHING_LEFT_FIXES = {
    "too_long": "raise sequence_len to at least {longest} (the longest row read), or set "
    "excess_length_strategy: truncate",
    "too_short": "lower min_sample_len (or remove it)",
    "no_trained_tokens": "check which turns are trained (roles_to_train, train_on_inputs, the answer column) "
    "and that the answers are not empty",
    "empty_target": "fill in the empty answers, or check that the answer column is the right one",
}


@rule(
    id="data.every_row_dropped",
    severity="error",
    message="all {rows} rows read are dropped after tokenizing ({reasons}): nothing is left to train on",
    why="""Tokenizing drops the rows training cannot use: rows longer than sequence_len (unless
        excess_length_strategy is truncate), rows shorter than min_sample_len, rows with no trained token (every
        token masked, e.g. an empty answer) and rows the format cannot read. When that is every row, the run stops
        before its first step. `ft-tui preprocess` lists the first dropped rows with the reason.""",
    fix="{fix}",
    fields=("datasets", "sequence_len", "excess_length_strategy"),
    stage="preflight",
)
def every_row_dropped(ctx: RuleContext) -> Hit | None:
    data = ctx.data
    if data is None or data.rows_read == 0 or data.train_rows or data.eval_rows:
        return None
    if set(data.rows_dropped) == {"too_long"} and not _drops_for_length(ctx):
        return None  # measured with a shorter sequence_len, or before truncation was chosen
    reasons = sorted(data.rows_dropped.items(), key=lambda item: -item[1])
    main = reasons[0][0] if reasons else ""
    fix = NOTHING_LEFT_FIXES.get(main, "see why with `ft-tui preprocess`, which lists the first dropped rows")
    fields = ("datasets", "sequence_len", "excess_length_strategy") if main == "too_long" else ("datasets",)
    return Hit(
        {
            "rows": f"{data.rows_read:,}",
            "reasons": ", ".join(f"{reason.replace('_', ' ')}: {number:,}" for reason, number in reasons) or "none",
            "fix": fix.format(longest=f"{data.longest_read:,}"),
        },
        fields=fields,
    )


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


@rule(
    id="data.tools_ignored_by_template",
    severity="warning",
    message="{entries}: the chat template does not render tools, so the tool definitions are not trained on",
    why="""A tool-calling dataset's tools column (`field_tools`, default `tools`) is handed to the chat template as
        `tools`, as transformers' apply_chat_template does; it is the template that writes the tool definitions
        into the text. A template without tool support leaves them out, so the model learns the calls without
        ever seeing what the tools are.""",
    fix="{instead}; drop the column if the tools should stay out",
    fields=("chat_template", "chat_template_jinja", "datasets"),
    stage="preflight",
)
def tools_ignored_by_template(ctx: RuleContext) -> Hit | None:
    data = ctx.data
    if data is None or not data.tools_ignored:
        return None
    entries = ", ".join(f"{path} (column '{column}')" for path, column in data.tools_ignored)
    return Hit({"entries": entries, "instead": tools_template_fix(ctx.config.chat_template)})


def tools_template_fix(current: str | None) -> str:
    """A template to switch to, never the one set now (`chat_template: tokenizer_default` when that is the one
    without tool support would send the user in a circle)."""
    jinja = "a `chat_template_jinja` that prints `tools` (with `chat_template: jinja`)"
    if current == "jinja":
        return "make the `chat_template_jinja` print `tools`, or use the model's own template if it has tool calling"
    if current in (None, "tokenizer_default"):
        return f"the model's own template (the one used now) has no tool calling: write {jinja}"
    return f"use the model's own template if it has tool calling (`chat_template: tokenizer_default`), or {jinja}"
