"""What we know about a model from its config.json alone: size, layers, LoRA targets and a memory estimate.

Nothing here imports torch or transformers or touches the network: the config checks and the wizard call it on
every keystroke, and must answer instantly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.config.paths import written_as_path
from engine.models.errors import ModelResolutionError, UnknownTargetModuleError, UnsupportedArchitectureError
from engine.models.hub import cached_file
from engine.models.locations import converted_model_folder, local_folder

ALL_LINEAR = "all-linear"
"""The `lora_target_modules` value (as in peft) that targets every linear layer of the decoder blocks."""

QLORA_BYTES_PER_PARAM = 0.516
"""NF4 with double quantization: 4 bits per weight + an 8-bit absmax per 64 weights + an fp32 scale per 256 of
those, 4.127 bits in all."""


@dataclass(frozen=True)
class LinearLayer:
    """One linear layer of a decoder block, as LoRA sees it: `r * (in + out)` adapter weights when targeted."""

    name: str
    in_features: int
    out_features: int
    bias: bool = False

    @property
    def parameters(self) -> int:
        return self.in_features * self.out_features + (self.out_features if self.bias else 0)


@dataclass(frozen=True)
class ModelFacts:
    """A model's shape read from config.json. Counts are None for model types ft-tui has no table for."""

    model_type: str
    architecture: str | None
    parameter_count: int | None
    context_length: int | None
    hidden_size: int | None
    num_layers: int | None
    vocab_size: int | None
    tie_word_embeddings: bool
    linear_layers: tuple[LinearLayer, ...]
    """The linear layers of one decoder block (every block has the same ones)."""
    has_chat_template: bool
    torch_dtype: str | None

    @property
    def linear_module_names(self) -> tuple[str, ...]:
        """The names `lora_target_modules` may use, e.g. `q_proj`."""
        return tuple(layer.name for layer in self.linear_layers)


@dataclass(frozen=True)
class _Family:
    """How one model_type lays out a decoder block beyond the shared llama-like skeleton."""

    fused: bool = False
    """phi3 style: one `qkv_proj` and one `gate_up_proj` instead of separate projections."""
    qkv_bias: bool | None = None
    """Fixed q/k/v bias (qwen2: always); None reads `attention_bias` from config.json."""
    norms_per_layer: int = 2
    qk_norm: bool = False
    """qwen3 and gemma3 normalise queries and keys with a per-head-dim RMSNorm."""


FAMILIES: dict[str, _Family] = {
    "llama": _Family(),
    "mistral": _Family(),
    "qwen2": _Family(qkv_bias=True),
    "qwen3": _Family(qk_norm=True),
    "gemma": _Family(),
    "gemma2": _Family(norms_per_layer=4),
    "gemma3_text": _Family(norms_per_layer=4, qk_norm=True),
    "phi3": _Family(fused=True),
}
"""The model types whose parameter count and linear layers we can derive; each is checked against transformers
by a test that builds the real model."""


REQUIRED_KEYS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "vocab_size")
"""The config.json keys the layer table needs; without them the counts are None rather than guesses."""


def read_model_facts(folder: Path) -> ModelFacts:
    """Facts from `folder/config.json` (and the tokenizer files beside it, for the chat template)."""
    config = _read_config(folder / "config.json")
    model_type = str(config.get("model_type", ""))
    family = FAMILIES.get(model_type) if all(config.get(key) for key in REQUIRED_KEYS) else None
    layers = _linear_layers(config, family) if family else ()
    architectures = config.get("architectures") or [None]
    return ModelFacts(
        model_type=model_type,
        architecture=architectures[0],
        parameter_count=_parameter_count(config, family, layers) if family else None,
        context_length=config.get("max_position_embeddings"),
        hidden_size=config.get("hidden_size"),
        num_layers=config.get("num_hidden_layers"),
        vocab_size=config.get("vocab_size"),
        tie_word_embeddings=_tied(config),
        linear_layers=layers,
        has_chat_template=has_chat_template(folder),
        torch_dtype=config.get("torch_dtype") or config.get("dtype"),
    )


def find_model_facts(base_model: str) -> ModelFacts | None:
    """Facts for `base_model` when its config.json is already on disk (a local folder, the Hugging Face cache or
    ft-tui's converted models), else None. Never downloads and never loads weights."""
    folder = local_folder(base_model)
    if folder is not None:
        return read_model_facts(folder) if (folder / "config.json").is_file() else None
    if written_as_path(base_model):
        return None
    converted = converted_model_folder(base_model)
    if (converted / "config.json").is_file():
        return read_model_facts(converted)
    try:
        config_file = cached_file(base_model, "config.json")
    except ValueError:  # not a valid hub id: nothing can be cached under it
        return None
    return read_model_facts(config_file.parent) if config_file else None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelResolutionError(
            f"{path} cannot be read as JSON ({exc}); restore it or download the model again"
        ) from exc
    if not isinstance(config, dict):
        raise ModelResolutionError(f"{path} is not a JSON object; restore it or download the model again")
    return config


def has_chat_template(folder: Path) -> bool:
    """True when the tokenizer ships a chat template: in tokenizer_config.json, or as chat_template.jinja/.json."""
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    tokenizer_config = folder / "tokenizer_config.json"
    if not tokenizer_config.is_file():
        return False
    return bool(json.loads(tokenizer_config.read_text(encoding="utf-8")).get("chat_template"))


def _tied(config: dict[str, Any]) -> bool:
    """transformers defaults `tie_word_embeddings` to True when config.json leaves it out."""
    return bool(config.get("tie_word_embeddings", True))


def _head_dim(config: dict[str, Any]) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def _linear_layers(config: dict[str, Any], family: _Family) -> tuple[LinearLayer, ...]:
    """One decoder block's linear layers with their shapes, in the order transformers creates them."""
    hidden, inter = int(config["hidden_size"]), int(config["intermediate_size"])
    head_dim = _head_dim(config)
    q_out = int(config["num_attention_heads"]) * head_dim
    kv_out = int(config.get("num_key_value_heads") or config["num_attention_heads"]) * head_dim
    if family.fused:
        return (
            LinearLayer("qkv_proj", hidden, q_out + 2 * kv_out),
            LinearLayer("o_proj", q_out, hidden),
            LinearLayer("gate_up_proj", hidden, 2 * inter),
            LinearLayer("down_proj", inter, hidden),
        )
    attention_bias = bool(config.get("attention_bias", False))
    qkv_bias = attention_bias if family.qkv_bias is None else family.qkv_bias
    mlp_bias = bool(config.get("mlp_bias", False))
    return (
        LinearLayer("q_proj", hidden, q_out, qkv_bias),
        LinearLayer("k_proj", hidden, kv_out, qkv_bias),
        LinearLayer("v_proj", hidden, kv_out, qkv_bias),
        LinearLayer("o_proj", q_out, hidden, attention_bias),
        LinearLayer("gate_proj", hidden, inter, mlp_bias),
        LinearLayer("up_proj", hidden, inter, mlp_bias),
        LinearLayer("down_proj", inter, hidden, mlp_bias),
    )


def _parameter_count(config: dict[str, Any], family: _Family, layers: tuple[LinearLayer, ...]) -> int:
    """Embeddings + blocks (linear layers and RMSNorm weights) + final norm + an untied output head."""
    hidden, vocab = int(config["hidden_size"]), int(config["vocab_size"])
    norms = family.norms_per_layer * hidden + (2 * _head_dim(config) if family.qk_norm else 0)
    block = sum(layer.parameters for layer in layers) + norms
    head = 0 if _tied(config) else vocab * hidden
    return vocab * hidden + int(config["num_hidden_layers"]) * block + hidden + head


def lora_trainable_params(facts: ModelFacts, r: int, target_modules: Sequence[str] | str = ALL_LINEAR) -> int:
    """The exact number of LoRA weights: `r * (in + out)` per targeted linear layer, in every decoder block.

    `target_modules` takes layer names (`q_proj`, ...), `lm_head` for the output head, or `all-linear`, which, as
    in peft, means every linear layer of the blocks but not the output head.
    """
    layers = _require_layers(facts)
    by_name = {layer.name: layer for layer in layers}
    total = 0
    for name in _target_names(target_modules, by_name):
        if name == "lm_head":
            total += r * (int(facts.hidden_size or 0) + int(facts.vocab_size or 0))
        elif name in by_name:
            total += int(facts.num_layers or 0) * r * (by_name[name].in_features + by_name[name].out_features)
        else:
            raise UnknownTargetModuleError(
                f"lora_target_modules: {name!r} is not a linear layer of {facts.model_type} models; "
                f"choose from {', '.join(by_name)}, lm_head (or use {ALL_LINEAR})"
            )
    return total


def trainable_share(trainable: int, total: int) -> str:
    """`3.50%`: trainable weights as a share of every weight of the model as trained (base plus adapter), as
    peft prints it. The wizard's estimate and the model card both say it this way, so the two agree."""
    return f"{trainable / total:.2%}" if total else "0%"


def _target_names(target_modules: Sequence[str] | str, by_name: dict[str, LinearLayer]) -> list[str]:
    """The distinct names asked for: `all-linear` expands to the table, a lone string is one name."""
    if target_modules == ALL_LINEAR:
        return list(by_name)
    names = [target_modules] if isinstance(target_modules, str) else list(target_modules)
    return list(dict.fromkeys(names))


def _require_layers(facts: ModelFacts) -> tuple[LinearLayer, ...]:
    if not facts.linear_layers or facts.parameter_count is None:
        raise UnsupportedArchitectureError(
            f"ft-tui has no layer table for model_type {facts.model_type!r}, so it cannot size LoRA or estimate "
            f"memory; supported: {', '.join(FAMILIES)}"
        )
    return facts.linear_layers


Method = Literal["full", "lora", "qlora"]

ADAPTER_BYTES = 4
"""peft keeps LoRA weights in float32 even on a bf16 base, so adapters, their gradients and Adam states are fp32."""


FRAMEWORK_BYTES = {"cpu": int(0.45 * 2**30), "cuda": int(0.5 * 2**30), "mps": int(0.45 * 2**30)}
"""Memory in use before the model loads. CPU (and MPS, whose memory is the machine's): the resident Python,
torch, transformers, peft and datasets libraries, 0.43 GiB measured with `ru_maxrss` after importing them.
CUDA: the CUDA context and kernels on the GPU, about 0.5 GiB."""

ALLOCATOR_SLACK = {"cpu": 0.3}
"""Resident memory beyond the activations kept for backward, per byte of them, on CPU: the backward's gradients of
each block's intermediates are made and freed while the kept activations are freed block by block, and glibc's
heap keeps what it freed for reuse instead of returning it, so the process's peak holds both. Measured by
bench/memory_bench.py on SmolLM2-135M at 512-4096 tokens (the peak minus everything else, over the activations:
0.27, 0.38 and 0.30 at 512, 1024 and 4096 tokens; 0.55 before the LoRA dropout stopped making bool temporaries).
Not measured on GPUs, whose caching allocator is counted as zero here."""

LOGITS_BYTES_PER_VALUE_EXTRA = 16
"""Per vocabulary entry and token, beyond the logits in the training dtype: their float32 upcast and float32
log-softmax kept for the loss's backward, then the float32 gradient of each during backward."""

LOSS_CHUNK_ELEMENTS = 2**25
"""Logit elements per chunk of the engine's chunked loss (engine/train/chunked_loss.py), 128 MiB in float32: 682
tokens of a 49k vocabulary, 262 of Llama-3's 128k."""

CHUNKED_LOSS_MODEL_TYPES = frozenset(
    {"llama", "mistral", "qwen2", "qwen3", "phi3", "olmo", "olmo2", "starcoder2", "smollm3", "gemma"}
)
"""Model types whose causal-LM forward is exactly `lm_head(decoder(...).last_hidden_state)` and a plain loss, so the
engine computes their loss in chunks. Others (final logit soft-capping, logit scaling, router losses) keep their
own forward and loss, with the full logits."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Training memory in bytes by kind, with the libraries' own footprint; `describe` says what is counted."""

    trainable_parameters: int
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    logits_bytes: int = 0
    framework_bytes: int = 0
    allocator_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.activations_bytes
            + self.logits_bytes
            + self.framework_bytes
            + self.allocator_bytes
        )

    @property
    def total_gib(self) -> float:
        return self.total_bytes / 2**30

    def describe(self) -> str:
        """What the total is made of, e.g. for the wizard's memory line and the benchmark."""
        parts = (
            ("weights", self.weights_bytes),
            ("gradients + optimizer", self.gradients_bytes + self.optimizer_bytes),
            ("activations", self.activations_bytes),
            ("logits + their gradient", self.logits_bytes),
            ("libraries", self.framework_bytes),
            ("allocator", self.allocator_bytes),
        )
        return ", ".join(f"{name} {size / 2**30:.2f}" for name, size in parts) + " GiB"


def estimate_memory(
    facts: ModelFacts,
    method: Method,
    micro_batch_size: int,
    sequence_len: int,
    dtype_bytes: int,
    gradient_checkpointing: bool,
    *,
    lora_r: int = 8,
    lora_target_modules: Sequence[str] | str = ALL_LINEAR,
    lora_dropout: bool = False,
    device: str | None = None,
) -> MemoryEstimate:
    """Estimate training memory as weights + gradients + AdamW states + activations + logits + libraries.

    With P parameters, T trainable ones, d = `dtype_bytes`, b = micro batch, s = sequence length, L layers,
    H hidden, I intermediate, Q = heads x head_dim, K = kv heads x head_dim, V vocabulary:

    - weights: full and lora P·d; qlora stores the block linear layers in NF4 (0.516 bytes each) and the rest
      (embeddings, norms) in d. LoRA adds its T adapter weights in fp32 (4 bytes).
    - gradients: full P·d; lora/qlora T·4 (the frozen base has none).
    - optimizer: AdamW keeps two moments per trainable weight in its dtype: full 2·P·d; lora/qlora 2·T·4.
    - activations, per token and block, a = 2·H·(8 + d) + 5·Q·d + 4·I·d bytes: each of the two RMSNorms keeps
      its input and the normalised values in fp32 plus its output in d; attention keeps the rotated queries,
      the keys and values expanded to the query heads (grouped-query attention repeats them), its output and
      the contiguous copy o_proj reads (SDPA/flash attention keep no s² scores); the MLP keeps gate, up, their
      activation and product. With LoRA dropout each targeted layer also keeps a 1-bit mask per input feature
      and A's r-wide output (the engine's lean LoRA), or under QLoRA its dropped-out input and the mask, (d + 1)
      bytes per input feature. Without gradient checkpointing: b·s·L·a. With it: b·s·(L·H·d + a), the block
      inputs plus one block recomputed during backward.
    - logits: for the model types whose loss the engine computes in chunks, one chunk of c = 2^25 / V tokens,
      c·V·(2d + 4); for the others b·s·V·(d + 16), in d, their fp32 upcast and fp32 log-softmax for the loss,
      and the fp32 gradients of both during backward.
    - libraries: what is in use before the model loads (FRAMEWORK_BYTES), when `device` is given.
    - allocator: on CPU, what the C heap keeps of the memory the backward frees (ALLOCATOR_SLACK), when `device`
      is given.
    """
    layers = _require_layers(facts)
    params, hidden, num_layers = (
        int(facts.parameter_count or 0),
        int(facts.hidden_size or 0),
        int(facts.num_layers or 0),
    )
    tokens = micro_batch_size * sequence_len
    dropout_bytes = 0
    weights: float  # qlora's 4-bit blocks make the frozen weights a fractional byte count
    if method == "full":
        trainable, weights = params, params * dtype_bytes
        gradients, optimizer = params * dtype_bytes, 2 * params * dtype_bytes
    else:
        trainable = lora_trainable_params(facts, lora_r, lora_target_modules)
        weights = _frozen_weight_bytes(params, num_layers * sum(x.parameters for x in layers), method, dtype_bytes)
        weights += trainable * ADAPTER_BYTES
        gradients, optimizer = trainable * ADAPTER_BYTES, 2 * trainable * ADAPTER_BYTES
        if lora_dropout:
            dropout_bytes = _dropout_bytes_per_token(layers, lora_target_modules, lora_r, method, dtype_bytes)
    per_block = _activation_bytes_per_token(layers, hidden, dtype_bytes) + dropout_bytes
    stored = num_layers * hidden * dtype_bytes + per_block if gradient_checkpointing else num_layers * per_block
    return MemoryEstimate(
        trainable_parameters=trainable,
        weights_bytes=int(weights),
        gradients_bytes=gradients,
        optimizer_bytes=optimizer,
        activations_bytes=tokens * stored,
        logits_bytes=_logits_bytes(facts, tokens, dtype_bytes),
        framework_bytes=FRAMEWORK_BYTES.get(device, 0) if device else 0,
        allocator_bytes=int(tokens * stored * ALLOCATOR_SLACK.get(device, 0.0)) if device else 0,
    )


def _dropout_bytes_per_token(
    layers: tuple[LinearLayer, ...], target_modules: Sequence[str] | str, rank: int, method: Method, dtype_bytes: int
) -> int:
    """What LoRA dropout keeps per token and block. The engine's lean LoRA (engine/train/lean_lora.py, plain LoRA
    layers) keeps a 1-bit mask per input feature and A's rank-wide output; peft's own layers (QLoRA's 4-bit ones)
    keep the dropped-out input and the mask, (d + 1) bytes per input feature."""
    by_name = {layer.name: layer for layer in layers}
    targets = [by_name[name] for name in _target_names(target_modules, by_name) if name in by_name]
    inputs = sum(layer.in_features for layer in targets)
    if method == "lora":
        return inputs // 8 + len(targets) * rank * dtype_bytes
    return inputs * (dtype_bytes + 1)


def _logits_bytes(facts: ModelFacts, tokens: int, dtype_bytes: int) -> int:
    """The loss's logits at their peak: one chunk of tokens for the model types the engine computes the loss in
    chunks for (the chunk's logits in d, their float32 copy turned into the gradient in place, and that gradient in
    d for the hidden states' gradient), else every token's, with their float32 copies and gradients."""
    vocab = int(facts.vocab_size or 0)
    if facts.model_type in CHUNKED_LOSS_MODEL_TYPES and vocab:
        chunk = min(tokens, max(1, LOSS_CHUNK_ELEMENTS // vocab))
        return chunk * vocab * (2 * dtype_bytes + 4)
    return tokens * vocab * (dtype_bytes + LOGITS_BYTES_PER_VALUE_EXTRA)


def _frozen_weight_bytes(params: int, block_linear_params: int, method: Method, dtype_bytes: int) -> float:
    """The frozen base: all in the training dtype for lora; qlora quantizes only the blocks' linear layers."""
    if method == "qlora":
        return block_linear_params * QLORA_BYTES_PER_PARAM + (params - block_linear_params) * dtype_bytes
    return params * dtype_bytes


def _activation_bytes_per_token(layers: tuple[LinearLayer, ...], hidden: int, dtype_bytes: int) -> int:
    """Bytes one decoder block keeps per token for backward, read off the layer table (see estimate_memory)."""
    outputs = {layer.name: layer.out_features for layer in layers}
    inter = outputs["gate_up_proj"] // 2 if "qkv_proj" in outputs else outputs["up_proj"]
    queries = next(layer.in_features for layer in layers if layer.name == "o_proj")
    norms = 2 * hidden * (2 * 4 + dtype_bytes)
    return norms + 5 * queries * dtype_bytes + 4 * inter * dtype_bytes
