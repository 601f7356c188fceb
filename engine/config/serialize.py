"""Which keys of a config are written, and how: the one serialization, below both the writer (new files) and the
round-trip editor (files edited in place), so neither imports the other to agree on it."""

from __future__ import annotations

from typing import Any

from engine.config.run_config import RunConfig, key_order

ALWAYS_WRITTEN = frozenset(
    {
        "base_model",
        "datasets",
        "val_set_size",
        "output_dir",
        "sequence_len",
        "sample_packing",
        "eval_sample_packing",
        "adapter",
        "lora_r",
        "lora_alpha",
        "lora_dropout",
        "micro_batch_size",
        "gradient_accumulation_steps",
        "num_epochs",
        "optimizer",
        "lr_scheduler",
        "learning_rate",
        "bf16",
        "seed",
    }
)
"""Keys written even at their default, so a reader of the file sees the decisions that matter most."""


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """The keys worth writing, in axolotl's order: what the user set, what differs from the default, and the
    always-written core, then the axolotl keys ft-tui keeps without modelling. Loading the result gives back an
    equal config."""
    values = config.model_dump(mode="json")
    defaults = RunConfig().model_dump(mode="json")
    chosen: dict[str, Any] = {}
    for key in key_order():
        value = values[key]
        if key in ALWAYS_WRITTEN or key in config.model_fields_set or value != defaults[key]:
            chosen[key] = _compact(key, value)
    chosen.update({key: values[key] for key in config.axolotl_keys()})  # JSON-safe, like every other value
    return chosen


def _compact(key: str, value: Any) -> Any:
    """Dataset entries list only the keys that hold something, as people write them."""
    if key in ("datasets", "test_datasets") and isinstance(value, list):
        return [_drop_empty(entry) for entry in value]
    return value


def _drop_empty(entry: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in entry.items() if v is not None and not (k == "split" and v == "train")}
    if isinstance(kept.get("type"), dict):
        kept["type"] = {k: v for k, v in kept["type"].items() if v is not None}
    return kept
