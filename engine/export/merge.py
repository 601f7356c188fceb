"""Merge a LoRA adapter into the base one tensor at a time while the GGUF is written, as peft's
`merge_and_unload` would, without ever holding the merged model.

peft merges a LoRA Linear as `W += scaling * (B @ A)` with `scaling = alpha / r` (`alpha / sqrt(r)` under
rsLoRA), the product taken in float32 with torch. Here the same product is taken with the same torch call for one
base tensor (the delta of the tensor being written, nothing more) and added to the base rows in float32 as they
are read. For a float32 base that is peft's own arithmetic, so the merged values are bit-identical; for a bf16 or
f16 base peft rounds the delta and the sum to the stored dtype before saving, which the streamed merge does not
(it is one rounding of the stored dtype closer to the trained model). `fan_in_fan_out` only transposes the delta
of GPT-2's Conv1D layers: peft sets it back to False for the `torch.nn.Linear` layers of every family exported
here, so it changes nothing.

Adapters that are more than LoRA pairs on linear layers (DoRA, per-module ranks, whole modules saved, a grown
vocabulary, LoRA on embeddings) are not streamed: `streaming_refusal` says why, and the export merges them in
memory with peft instead (engine/infer/merge.py).
"""

from __future__ import annotations

import json
import math
import re
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.export.errors import ExportError
from engine.export.stored import StoredTensor, open_stored_tensors
from engine.infer.adapters import ADAPTER_CONFIG

_LORA_MATRIX = re.compile(r"^base_model\.model\.(.+)\.lora_([AB])\.weight$")


@dataclass(frozen=True)
class LoraDeltas:
    """An adapter's LoRA pairs by the base checkpoint tensor each changes, and the scale peft merges them with."""

    pairs: dict[str, tuple[StoredTensor, StoredTensor]]
    """Base tensor name (`model.layers.0.self_attn.q_proj.weight`) -> (A, B)."""
    scaling: float

    def delta(self, base_name: str) -> np.ndarray | None:
        """`scaling * (B @ A)` in float32 for this base tensor (peft's product, bit for bit), or None."""
        pair = self.pairs.get(base_name)
        if pair is None:
            return None
        import torch

        lora_a, lora_b = (torch.from_numpy(matrix.rows()) for matrix in pair)
        product = lora_b @ lora_a
        product.mul_(self.scaling)  # in place: one delta-sized buffer, the same float32 products as peft's `* scaling`
        delta: np.ndarray = product.numpy()
        return delta


def read_adapter_settings(adapter_dir: Path) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads((adapter_dir / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    return settings


def unsupported_adapter(settings: dict[str, Any], adapter_dir: Path, model_config: dict[str, Any]) -> str:
    """Why an adapter is more than plain LoRA pairs on linear layers ("" when it is not): what neither a streamed
    merge nor a GGUF LoRA can carry."""
    if settings.get("peft_type", "LORA") != "LORA":
        return f"is a {settings.get('peft_type')} adapter, not LoRA"
    if settings.get("use_dora"):
        return "uses DoRA"
    if settings.get("rank_pattern") or settings.get("alpha_pattern"):
        return "has per-module ranks or alphas"
    if settings.get("modules_to_save"):
        return f"also trains whole modules ({', '.join(settings['modules_to_save'])})"
    if settings.get("lora_bias"):
        return "trains a bias beside its LoRA matrices"
    tokenizer = adapter_dir / "tokenizer.json"
    if tokenizer.is_file():
        description = json.loads(tokenizer.read_text(encoding="utf-8"))
        ids = [*description["model"]["vocab"].values(), *(t["id"] for t in description.get("added_tokens") or [])]
        if max(ids, default=0) >= int(model_config["vocab_size"]):
            return "was trained with tokens added to the vocabulary"
    return ""


def lora_scaling(settings: dict[str, Any]) -> float:
    """peft's `scaling`: alpha / r, or alpha / sqrt(r) under rsLoRA (the same Python float division)."""
    alpha, rank = settings["lora_alpha"], settings["r"]
    return alpha / math.sqrt(rank) if settings.get("use_rslora") else alpha / rank


def streaming_refusal(adapter_dir: Path, model_config: dict[str, Any]) -> str:
    """Why this adapter cannot be merged while streaming ("" when it can)."""
    why = unsupported_adapter(read_adapter_settings(adapter_dir), adapter_dir, model_config)
    if why:
        return why
    for name in _adapter_tensor_names(adapter_dir):
        if _LORA_MATRIX.match(name) is None:
            return f"holds a tensor that is not a LoRA matrix of a linear layer ({name})"
    return ""


def open_lora_deltas(adapter_dir: Path, stack: ExitStack, base_names: set[str]) -> LoraDeltas:
    """The adapter's pairs, each checked to change a tensor the export writes (files stay open with `stack`)."""
    stored = open_stored_tensors(adapter_dir, stack)
    halves: dict[str, dict[str, StoredTensor]] = {}
    for name, tensor in stored.items():
        match = _LORA_MATRIX.match(name)
        if match is None:
            raise ExportError(f"the adapter holds a tensor that is not a LoRA matrix: {name}", fix="retrain it")
        halves.setdefault(f"{match[1]}.weight", {})[match[2]] = tensor
    pairs = {}
    for base, half in halves.items():
        if base not in base_names:
            raise ExportError(
                f"the adapter changes {base}, which the GGUF does not hold as its own tensor",
                fix="export the adapter alone with --to gguf-lora, or retrain without that module",
            )
        if set(half) != {"A", "B"}:
            raise ExportError(f"the adapter has only half of the LoRA pair of {base}", fix="retrain or re-save it")
        pairs[base] = (half["A"], half["B"])
    return LoraDeltas(pairs, lora_scaling(read_adapter_settings(adapter_dir)))


def _adapter_tensor_names(adapter_dir: Path) -> list[str]:
    with ExitStack() as stack:
        return list(open_stored_tensors(adapter_dir, stack))
