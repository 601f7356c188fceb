"""The one run-config model: axolotl's flat keys, shared by the engine, the CLI and the wizard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from engine.config.sections_data import DataSection
from engine.config.sections_generation import GenerationSection
from engine.config.sections_integrations import DistributedSection, TrackingSection
from engine.config.sections_model import AdapterSection, ModelSection
from engine.config.sections_training import (
    BatchSection,
    OptimSection,
    PrecisionSection,
    ScheduleSection,
)

SECTIONS: tuple[type[BaseModel], ...] = (
    ModelSection,
    DataSection,
    AdapterSection,
    TrackingSection,
    BatchSection,
    OptimSection,
    PrecisionSection,
    ScheduleSection,
    GenerationSection,
    DistributedSection,
)
"""The sections in the order their keys are written, which follows axolotl's example configs."""

_LEGACY_ATTENTION_SWITCHES = (
    ("flash_attention", "flash_attention_2"),
    ("xformers_attention", "xformers"),
    ("flex_attention", "flex_attention"),
    ("sdp_attention", "sdpa"),
)


class RunConfig(
    DistributedSection,
    GenerationSection,
    ScheduleSection,
    PrecisionSection,
    OptimSection,
    BatchSection,
    TrackingSection,
    AdapterSection,
    DataSection,
    ModelSection,
):
    """A complete training run. Every key means what it means in axolotl, so a config written here runs
    unchanged under `accelerate launch -m axolotl.cli.train`.

    Values the user wrote are kept as written (a legacy `flash_attention: true` stays in the file); what the
    engine should actually do is derived by the methods below, in one place.

    Keys of axolotl's catalogue that ft-tui does not model are kept as extra values (`axolotl_keys()`), so a
    config loads and saves unchanged; only the loader admits them, after checking each against the catalogue
    (engine/config/axolotl_catalog.py). What ft-tui does with each is decided in engine/config/axolotl_support.py.
    """

    model_config = ConfigDict(extra="allow")

    _renamed: dict[str, str] = PrivateAttr(default_factory=dict)

    def axolotl_keys(self) -> dict[str, Any]:
        """The axolotl keys this config sets that ft-tui's model does not have, as written."""
        return dict(self.model_extra or {})

    def renamed_keys(self) -> dict[str, str]:
        """Old axolotl key -> the key its value moved to, for keys axolotl renamed (as axolotl moves them)."""
        return dict(self._renamed)

    def requested_attn_implementation(self) -> str | None:
        """The attention kernel asked for, mapping axolotl's legacy boolean switches onto
        `attn_implementation`; None means "choose for me"."""
        if self.attn_implementation:
            return self.attn_implementation
        for switch, implementation in _LEGACY_ATTENTION_SWITCHES:
            if getattr(self, switch):
                return implementation
        return None

    def effective_eval_sample_packing(self) -> bool:
        """axolotl packs the eval split whenever training is packed, unless told otherwise."""
        if self.eval_sample_packing is None:
            return self.sample_packing
        return self.eval_sample_packing

    def effective_excess_length_strategy(self) -> str:
        """Rows longer than sequence_len are dropped unless the user chose otherwise."""
        return self.excess_length_strategy or "drop"

    def effective_gradient_accumulation_steps(self, world_size: int = 1) -> int:
        """axolotl derives accumulation from the older `batch_size` key when it is given instead."""
        if self.batch_size is not None and "gradient_accumulation_steps" not in self.model_fields_set:
            return max(1, self.batch_size // (self.micro_batch_size * world_size))
        return self.gradient_accumulation_steps

    def effective_batch_size(self, world_size: int = 1) -> int:
        """Rows (or packed rows) that contribute to one optimiser step across all devices."""
        return self.micro_batch_size * self.effective_gradient_accumulation_steps(world_size) * world_size

    def has_validation(self) -> bool:
        """Whether any evaluation data exists: a held-out split or separate test datasets."""
        return self.val_set_size > 0 or bool(self.test_datasets)

    def uses_lora(self) -> bool:
        """LoRA and QLoRA both train an adapter; an empty `adapter` is a full fine-tune."""
        return self.adapter in ("lora", "qlora")

    def prepared_path(self) -> str:
        """Where tokenized data is cached: the folder the config names, else `prepared` in ft-tui's user cache.

        Never the current folder by default: previewing data from wherever the user happens to be must not leave
        a `last_run_prepared` folder behind (axolotl's default, which a config can still name).
        """
        if self.dataset_prepared_path:
            return str(Path(self.dataset_prepared_path).expanduser())
        from engine.runs.paths import cache_dir

        return str(cache_dir() / "prepared")


def key_order() -> list[str]:
    """Every key in the order the writer emits them."""
    return [name for section in SECTIONS for name in section.model_fields]
