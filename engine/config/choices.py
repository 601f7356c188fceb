"""The choice sets of the config: every name the engine accepts for a key, and the short list a front end offers.

The one owner of these lists: the rules check against them and the wizard's menus are built from them, so a
menu never offers a name the rules would refuse. Any accepted name can still be typed into the YAML.
"""

from __future__ import annotations

RENAMED_OPTIMIZERS = {"adamw_hf": "adamw_torch"}
"""Names axolotl configs still use that transformers 5 removed, with their current equivalent."""
OPTIMIZERS = (
    "adamw_torch",
    "adamw_torch_fused",
    "adamw_bnb_8bit",
    "adamw_8bit",
    "paged_adamw_8bit",
    "paged_adamw_32bit",
    "adafactor",
    "sgd",
    "adagrad",
    "rmsprop",
    "lion_8bit",
    "lion_32bit",
    "paged_lion_8bit",
    "paged_lion_32bit",
)
"""Optimiser names transformers' Trainer understands, as axolotl passes them through."""
SCHEDULERS = (
    "cosine",
    "linear",
    "constant",
    "constant_with_warmup",
    "cosine_with_restarts",
    "cosine_with_min_lr",
    "polynomial",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "warmup_stable_decay",
)
"""Learning-rate schedules transformers' Trainer understands."""

DATASET_TYPES = ("alpaca", "chat_template", "sharegpt", "completion", "input_output")
"""The `type` values the engine understands."""
LEGACY_DATASET_TYPES = ("sharegpt",)
"""Accepted for old configs: axolotl's deprecated alias of `chat_template`."""

OFFERED_OPTIMIZERS = ("adamw_torch_fused", "adamw_torch", "adamw_bnb_8bit", "paged_adamw_8bit", "adafactor", "sgd")
"""The optimisers a menu offers, most useful first."""
OFFERED_SCHEDULERS = ("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_restarts", "polynomial")
"""The schedules a menu offers, most useful first."""
OFFERED_DATASET_TYPES = ("chat_template", "alpaca", "completion", "input_output")
"""The dataset formats a menu offers for a new dataset, most useful first (no legacy names)."""

KNOWN_BACKENDS = ("sdpa", "eager", "flash_attention_2", "flash_attention_3", "xformers", "flex_attention")
CUDA_ONLY_BACKENDS = ("flash_attention_2", "flash_attention_3", "xformers")
ISOLATING_BACKENDS = ("sdpa", "eager", "flash_attention_2", "flash_attention_3", "xformers")
"""Backends for which the engine keeps packed samples from attending to each other (proved by a test each):
position ids restart per sample (sdpa, eager), variable-length cu_seqlens (flash-attn), or a block-diagonal
mask (xformers)."""

TRAINING_METHODS: tuple[tuple[str, str | None], ...] = (
    ("LoRA", "lora"),
    ("QLoRA (4-bit base, CUDA)", "qlora"),
    ("Full fine-tune", None),
)
"""The training methods a front end offers, as (label, `adapter` value); the wizard's Method menu and
`ft-tui init --plain` both show these labels, so the two never name a method differently."""


def method_label(adapter: str | None) -> str:
    """The label of the method that `adapter` means (an unknown adapter reads as LoRA, as the engine trains it)."""
    return next((label for label, value in TRAINING_METHODS if value == adapter), TRAINING_METHODS[0][0])


def method_changes(previous: str | None, chosen: str | None) -> dict[str, object]:
    """What choosing the method `chosen` (an `adapter` value) sets, coming from the method `previous`.

    QLoRA is `adapter: qlora` with `load_in_4bit: true` (axolotl's spelling): choosing it loads the base in 4 bits.
    A full fine-tune trains every weight, which a quantized base cannot hold, so it loads the base in full
    precision. Leaving QLoRA for LoRA drops the 4-bit base it brought; LoRA from anything else keeps the base
    weights as they were (8-bit LoRA is a method of its own). The wizard and the plain prompts both apply this,
    so the same choice never yields two configs."""
    if chosen == "qlora":
        return {"adapter": chosen, "load_in_4bit": True, "load_in_8bit": False}
    if chosen is None:
        return {"adapter": None, "load_in_4bit": False, "load_in_8bit": False}
    if previous == "qlora":
        return {"adapter": chosen, "load_in_4bit": False}
    return {"adapter": chosen}
