"""Rules about axolotl keys ft-tui does not model: what ft-tui does with each, and what axolotl would refuse.

The decisions live in engine/config/axolotl_support.py (one table, with reasons); these rules only render them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.config.axolotl_catalog import axolotl_catalog
from engine.config.axolotl_support import FT_TUI_ONLY_DATASET_KEYS, KeyGroup, Verdict, set_keys
from engine.rules.catalog import Hit, rule
from engine.rules.context import RuleContext


def _set_keys(ctx: RuleContext, verdict: Verdict) -> list[tuple[str, KeyGroup]]:
    return set_keys(ctx.config, verdict)


def _hit(found: list[tuple[str, KeyGroup]], **values: Any) -> Hit | None:
    if not found:
        return None
    keys = [key for key, _ in found]
    reasons = list(dict.fromkeys(group.reason for _, group in found))
    return Hit(
        {"keys": ", ".join(keys), "reasons": "; ".join(reasons), "it": "them" if len(keys) > 1 else "it", **values},
        fields=tuple(key.split("[")[0] for key in keys),
    )


@rule(
    id="axolotl.runs_under_axolotl",
    severity="error",
    message="{keys}: ft-tui's engine does not do this; the config runs under axolotl",
    why="""These axolotl keys change what is trained ({reasons}). ft-tui reads every axolotl key so the file
        loads and saves unchanged, but rather than silently train something else, its engine stops. The same
        file runs under `accelerate launch -m axolotl.cli.train`; `ft-tui validate --target axolotl` checks it
        for that. Every such key, with its reason, is listed once in engine/config/axolotl_support.py.""",
    fix="run it with axolotl, or remove {keys} to train with ft-tui",
    fields=("rl", "plugins", "unfrozen_parameters"),
    engines=("ft-tui",),
)
def runs_under_axolotl(ctx: RuleContext) -> Hit | None:
    return _hit(_set_keys(ctx, "axolotl_only"))


@rule(
    id="axolotl.ignored_key",
    severity="note",
    message="{keys}: axolotl uses {it}; ft-tui ignores {it}",
    why="""These keys change how axolotl runs around the training ({reasons}), not what is learnt. ft-tui keeps
        them in the file so it still runs the same under axolotl. Every such key, with its reason, is listed
        once in engine/config/axolotl_support.py.""",
    fix="nothing to do; remove them if the config is only for ft-tui",
    fields=("hub_model_id", "use_kernels", "profiler_steps"),
    engines=("ft-tui",),
)
def ignored_key(ctx: RuleContext) -> Hit | None:
    return _hit(_set_keys(ctx, "ignored"))


@rule(
    id="axolotl.refused_key",
    severity="error",
    message="{keys}: axolotl {version} refuses it: {detail}",
    why="""axolotl removed these features and stops with an error when a config sets them; ft-tui does not run
        them either.""",
    fix="remove {keys}",
    fields=("max_packed_sequence_len", "rope_scaling", "s2_attention"),
    mechanical=True,
)
def refused_key(ctx: RuleContext) -> Hit | None:
    found = _set_keys(ctx, "refused")
    if not found:
        return None
    catalog = axolotl_catalog()
    detail = " ".join(catalog.top_level[key].deprecated or "" for key, _ in found)
    hit = _hit(found, version=catalog.version, detail=detail)
    return replace(hit, changes={key: None for key, _ in found}) if hit else None


@rule(
    id="axolotl.renamed_key",
    severity="note",
    message="{old} is axolotl's old name for {new}; its value is used as {new}",
    why="""axolotl renamed these keys and moves an old key's value to the new one (unless the new key is set,
        which then wins). ft-tui does the same, so both engines train with the same value.""",
    fix="rename {old} to {new}",
    fields=("noisy_embedding_alpha", "evaluation_strategy", "dpo_beta"),
    mechanical=True,
)
def renamed_key(ctx: RuleContext) -> Hit | None:
    renamed = ctx.config.renamed_keys()
    if not renamed:
        return None
    # The value already sits under the new name; writing it there explicitly drops the old key from the file.
    changes = {new: getattr(ctx.config, new, None) for new in renamed.values()}
    return Hit(
        {"old": ", ".join(renamed), "new": ", ".join(renamed.values())}, fields=tuple(renamed.values()), changes=changes
    )


@rule(
    id="axolotl.not_in_schema",
    severity="warning",
    message="{keys}: not a key of axolotl {version} either; both engines ignore it",
    why="""axolotl's own example configs still carry a few keys its schema dropped (or misspells them); axolotl
        ignores unknown keys silently, so the setting does nothing under either engine.""",
    fix="remove {keys}, or replace it with the current key if you meant one",
    fields=("gptq_groupsize", "debug"),
    mechanical=True,
)
def not_in_schema(ctx: RuleContext) -> Hit | None:
    catalog = axolotl_catalog()
    keys = [
        key
        for key, value in ctx.config.axolotl_keys().items()
        if (entry := catalog.top_level.get(key)) is not None and entry.not_in_schema and value is not None
    ]
    if not keys:
        return None
    return Hit({"keys": ", ".join(keys), "version": catalog.version}, fields=tuple(keys), changes=dict.fromkeys(keys))


@rule(
    id="axolotl.dataset_key_beside_type",
    severity="warning",
    message="datasets[{index}].{key}: axolotl ignores it here; it reads it as {where}",
    why="""ft-tui accepts the alpaca column names directly in a dataset entry, but axolotl only reads them
        inside a `type:` mapping and silently ignores them beside `type:`. Under axolotl the default column
        would be read instead.""",
    fix="move it under the entry's type, e.g. `type: {{field_instruction: prompt, ...}}`",
    fields=("datasets",),
)
def dataset_key_beside_type(ctx: RuleContext) -> Hit | None:
    for index, entry in enumerate(ctx.config.datasets):
        for key, where in FT_TUI_ONLY_DATASET_KEYS.items():
            if getattr(entry, key) is not None:
                return Hit({"index": index, "key": key, "where": where})
    return None


# --- what axolotl's own validation refuses, checked when judging for axolotl ------------------------------
@rule(
    id="axolotl.early_stopping_needs_steps",
    severity="error",
    message="early_stopping_patience under axolotl needs save_steps and eval_steps, eval_steps dividing save_steps",
    why="""axolotl stops early only on evaluations that line up with saved checkpoints, so it refuses the config
        unless both intervals are given in steps and every save falls on an evaluation.""",
    fix="set e.g. eval_steps: 50 and save_steps: 100, or remove early_stopping_patience",
    fields=("early_stopping_patience", "save_steps", "eval_steps"),
    engines=("axolotl",),
)
def early_stopping_needs_steps(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if not config.early_stopping_patience:
        return None
    if not config.save_steps or not config.eval_steps or config.save_steps % config.eval_steps != 0:
        return Hit()
    return None


@rule(
    id="axolotl.save_best_needs_metric",
    severity="error",
    message="save_strategy: best under axolotl needs metric_for_best_model",
    why="""Keeping the best checkpoint means comparing a metric; axolotl refuses to guess which one.""",
    fix="add metric_for_best_model: eval_loss (and greater_is_better: false), or choose another save_strategy",
    fields=("save_strategy",),
    engines=("axolotl",),
    mechanical=True,
)
def save_best_needs_metric(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.save_strategy == "best" and not config.axolotl_keys().get("metric_for_best_model"):
        return Hit(changes={"metric_for_best_model": "eval_loss", "greater_is_better": False})
    return None


@rule(
    id="axolotl.fsdp2_with_bnb_8bit_optimizer",
    severity="error",
    message="FSDP2 cannot use {optimizer} under axolotl",
    why="""bitsandbytes' 8-bit Adam fails in CUDA with FSDP2's sharded parameters; axolotl refuses the
        combination.""",
    fix="use optimizer: adamw_torch_8bit, or fsdp_version: 1",
    fields=("optimizer", "fsdp_version", "fsdp_config"),
    engines=("axolotl",),
    mechanical=True,
)
def fsdp2_with_bnb_8bit_optimizer(ctx: RuleContext) -> Hit | None:
    config = ctx.config
    if config.fsdp_config and str(config.fsdp_version) == "2" and config.optimizer in ("adamw_8bit", "adamw_bnb_8bit"):
        return Hit({"optimizer": config.optimizer}, changes={"optimizer": "adamw_torch_8bit"})
    return None
