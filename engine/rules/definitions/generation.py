"""Rules about sample answers during training (`generate_samples`): they need eval rows and sensible lengths."""

from __future__ import annotations

from engine import sharding
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


@rule(
    id="generation.no_eval_split",
    severity="warning",
    message="generate_samples is on, but there is no eval split (val_set_size: 0, no test_datasets), so no sample "
    "answers will be generated",
    why="""Sample answers are generated for fixed prompts taken from the held-out rows, next to their reference
        answers, at each evaluation. Without held-out rows there are no prompts and no evaluations.""",
    fix="set val_set_size (e.g. 0.05) to hold out 5% of the rows, or set generate_samples: false",
    fields=("generate_samples", "val_set_size"),
    mechanical=True,
)
def no_eval_split(ctx: RuleContext) -> Hit | None:
    if ctx.config.generate_samples and not ctx.config.has_validation():
        return Hit(changes={"val_set_size": 0.05})
    return None


@rule(
    id="generation.count_not_positive",
    severity="error",
    message="{key}: {value} must be at least 1",
    why="""With generate_samples on, each evaluation answers num_generation_samples prompts with up to
        generation_max_new_tokens tokens each; zero or a negative number asks for nothing.""",
    fix="set {key}: {default} (the default), or generate_samples: false",
    fields=("num_generation_samples", "generation_max_new_tokens"),
    mechanical=True,
)
def count_not_positive(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.generate_samples:
        return None
    for key, default in (("num_generation_samples", 3), ("generation_max_new_tokens", 50)):
        value = getattr(config, key)
        if value is not None and value < 1:
            return Hit({"key": key, "value": value, "default": default}, fields=(key,), changes={key: default})
    return None


@rule(
    id="generation.answer_longer_than_rows",
    severity="warning",
    message="generation_max_new_tokens: {value} is longer than sequence_len: {limit}; every evaluation may "
    "generate that many tokens for each of {samples} sample(s)",
    why="""Generation runs one token at a time, so its cost grows with the answer's length, at every evaluation.
        An answer longer than any row the model trains on shows nothing training could have taught it; a few dozen
        tokens are enough to see whether the model answers the way you meant.""",
    fix="set generation_max_new_tokens: {suggested}",
    fields=("generation_max_new_tokens",),
    mechanical=True,
)
def answer_longer_than_rows(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    value = config.generation_max_new_tokens
    if not config.generate_samples or value is None or value <= config.sequence_len:
        return None
    suggested = min(config.sequence_len, 128)
    values = {"value": value, "limit": config.sequence_len, "samples": config.num_generation_samples or 0}
    return Hit(values | {"suggested": suggested}, changes={"generation_max_new_tokens": suggested})


@rule(
    id="generation.zero_temperature_sampling",
    severity="auto",
    message="generation_temperature: 0 with generation_do_sample: true decodes greedily; generation_do_sample is "
    "set to false",
    why="""Sampling divides the model's scores by the temperature, which 0 cannot do; axolotl documents
        temperature 0 as greedy decoding (always the most likely token), and that is what the engine runs.""",
    fix="set generation_do_sample: false, or a temperature above 0 (e.g. 0.7) to sample",
    fields=("generation_temperature", "generation_do_sample"),
)
def zero_temperature_sampling(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.generate_samples and config.generation_do_sample is not False and config.generation_temperature == 0:
        return Hit(auto_set={"generation_do_sample": False})
    return None


@rule(
    id="generation.more_samples_than_eval_rows",
    severity="warning",
    message="num_generation_samples: {wanted} but the eval split has {rows} row(s); each evaluation answers {rows}",
    why="""The prompts are drawn from the held-out rows, each row at most once, so there cannot be more samples
        than eval rows.""",
    fix="raise val_set_size, or set num_generation_samples: {rows}",
    fields=("num_generation_samples", "val_set_size"),
    stage="preflight",
    mechanical=True,
)
def more_samples_than_eval_rows(ctx: RuleContext) -> Hit | None:
    config, data = ctx.config, ctx.data
    wanted = config.num_generation_samples or 0
    if data is None or not config.generate_samples or data.eval_rows == 0 or wanted <= data.eval_rows:
        return None
    rows = data.eval_rows
    return Hit({"wanted": wanted, "rows": rows}, changes={"num_generation_samples": rows})


@rule(
    id="generation.sharded_model",
    severity="auto",
    message="sample answers are not generated with {how}: generate_samples is set to false",
    why="""Answers are generated by the first process alone while the others wait. With {how} each process holds
        only a shard of the weights, so one process cannot run the model by itself.""",
    fix="train without weight sharding (DDP or one device) to see sample answers",
    fields=("generate_samples", "deepspeed", "fsdp", "fsdp_config"),
    engines=("ft-tui",),
)
def sharded_model(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.generate_samples:
        return None
    how = "FSDP" if sharding.uses_fsdp(config) else ("DeepSpeed ZeRO-3" if sharding.zero_stage(config) == 3 else "")
    return Hit({"how": how}, auto_set={"generate_samples": False}) if how else None
