"""Which model families export to GGUF, their hyper-parameters under llama.cpp's keys, and their tensor names.

Everything here is read from config.json and tensor names alone, so an unsupported model is refused before any
weight is read. The names are llama.cpp's (`blk.N.attn_q.weight`, ...), as its loader looks them up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.export.errors import ExportError


@dataclass(frozen=True)
class Architecture:
    """One supported family: its name in GGUF, and whether its q/k rows need llama.cpp's RoPE layout."""

    gguf_name: str
    permute_qk: bool
    """HF llama checkpoints keep each head's RoPE pairs as two halves; llama.cpp's `llama` graph expects them
    interleaved, so q and k rows are reordered. Qwen2 runs with the halves layout (NEOX RoPE) and is not."""


ARCHITECTURES: dict[str, Architecture] = {
    "LlamaForCausalLM": Architecture("llama", permute_qk=True),
    "Qwen2ForCausalLM": Architecture("qwen2", permute_qk=False),
}
"""Llama 3 / 3.2 and SmolLM2 (the presets' models) are `LlamaForCausalLM`; Qwen2 shares the same blocks."""

_GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_BLOCK_NAMES = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_BLOCK = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")
_SKIPPED = re.compile(r"\.rotary_emb\.inv_freq$")
"""Buffers some older checkpoints saved; llama.cpp computes them."""

OUTPUT_TENSORS = frozenset({"output.weight"})
ROPE_FREQS = "rope_freqs.weight"


def architecture_of(config: dict[str, Any]) -> Architecture:
    """The family of a model's config.json, or an ExportError naming the supported ones (before any work)."""
    names = config.get("architectures") or []
    for name in names:
        if name in ARCHITECTURES:
            return ARCHITECTURES[name]
    found = ", ".join(names) or config.get("model_type") or "an unnamed architecture"
    raise ExportError(
        f"GGUF export does not support {found}",
        fix=f"export a model of a supported architecture: {', '.join(ARCHITECTURES)} (Llama 3, SmolLM2, Qwen2)",
    )


def gguf_tensor_name(hf_name: str) -> str | None:
    """llama.cpp's name for a checkpoint tensor; None for one it does not read; ExportError for an unknown one."""
    if _SKIPPED.search(hf_name):
        return None
    if hf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[hf_name]
    match = _BLOCK.match(hf_name)
    if match and match[2] in _BLOCK_NAMES:
        return f"blk.{match[1]}.{_BLOCK_NAMES[match[2]]}.{match[3]}"
    raise ExportError(
        f"the checkpoint holds a tensor GGUF export does not know: {hf_name}",
        fix="export a plain Llama-family checkpoint (no extra modules saved beside the model)",
    )


def is_tied(config: dict[str, Any]) -> bool:
    return bool(config.get("tie_word_embeddings", False))


def head_counts(config: dict[str, Any]) -> tuple[int, int]:
    heads = int(config["num_attention_heads"])
    return heads, int(config.get("num_key_value_heads") or heads)


def head_dim(config: dict[str, Any]) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def rope_parameters(config: dict[str, Any]) -> dict[str, Any]:
    """RoPE settings: transformers 5 keeps them in `rope_parameters`, 4.x in `rope_theta` and `rope_scaling`."""
    found = dict(config.get("rope_scaling") or {})
    found.update(config.get("rope_parameters") or {})
    found.setdefault("rope_theta", config.get("rope_theta", 10000.0))
    found["rope_type"] = found.get("rope_type") or found.get("type") or "default"
    return found


def hyper_parameters(config: dict[str, Any], arch: Architecture) -> dict[str, Any]:
    """The `ARCH.*` keys llama.cpp reads, as (key suffix -> value); typed by the writer."""
    heads, kv_heads = head_counts(config)
    rope = rope_parameters(config)
    values: dict[str, Any] = {
        "block_count": int(config["num_hidden_layers"]),
        "context_length": int(config["max_position_embeddings"]),
        "embedding_length": int(config["hidden_size"]),
        "feed_forward_length": int(config["intermediate_size"]),
        "attention.head_count": heads,
        "attention.head_count_kv": kv_heads,
        "rope.freq_base": float(rope["rope_theta"]),
        "attention.layer_norm_rms_epsilon": float(config["rms_norm_eps"]),
        "vocab_size": int(config["vocab_size"]),
        "rope.dimension_count": head_dim(config),
    }
    if head_dim(config) != int(config["hidden_size"]) // heads:
        values["attention.key_length"] = values["attention.value_length"] = head_dim(config)
    values.update(_rope_scaling_keys(rope))
    return values


def _rope_scaling_keys(rope: dict[str, Any]) -> dict[str, Any]:
    kind = rope["rope_type"]
    if kind in ("default", "llama3"):  # llama3 scaling travels as the rope_freqs tensor instead
        return {}
    if kind == "linear":
        return {"rope.scaling.type": "linear", "rope.scaling.factor": float(rope["factor"])}
    raise ExportError(
        f"GGUF export does not support RoPE scaling `{kind}`",
        fix="export a model with default, linear or Llama 3 RoPE scaling",
    )


def llama3_rope_factors(config: dict[str, Any]) -> np.ndarray | None:
    """Llama 3.1+ stretches long wavelengths: one divisor per rotary frequency, which llama.cpp reads from
    `rope_freqs.weight` (F32). None when the model does not use that scaling."""
    rope = rope_parameters(config)
    if rope["rope_type"] != "llama3":
        return None
    dim = head_dim(config)
    factor, low, high = float(rope["factor"]), float(rope["low_freq_factor"]), float(rope["high_freq_factor"])
    old_context = float(rope["original_max_position_embeddings"])
    divisors = []
    for index in range(0, dim, 2):
        wavelength = 2 * math.pi * float(rope["rope_theta"]) ** (index / dim)
        if wavelength < old_context / high:
            divisors.append(1.0)
        elif wavelength > old_context / low:
            divisors.append(factor)
        else:
            smooth = (old_context / wavelength - low) / (high - low)
            divisors.append(1 / ((1 - smooth) / factor + smooth))
    return np.asarray(divisors, dtype=np.float32)


def interleave_rope_rows(rows: np.ndarray, heads: int) -> np.ndarray:
    """Reorder q/k rows (or a LoRA B's rows) from HF's two halves per head to llama.cpp's interleaved pairs."""
    per_head = rows.shape[0] // heads
    return rows.reshape(heads, 2, per_head // 2, *rows.shape[1:]).swapaxes(1, 2).reshape(rows.shape)


def rows_permutation(gguf_name: str, config: dict[str, Any], arch: Architecture) -> int | None:
    """The head count to interleave this tensor's rows by, or None when it is written as stored."""
    if not arch.permute_qk:
        return None
    heads, kv_heads = head_counts(config)
    if ".attn_q." in gguf_name:
        return heads
    if ".attn_k." in gguf_name:
        return kv_heads
    return None
