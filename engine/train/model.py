"""The model to train: the base loaded in the chosen dtype and attention, new tokens, and LoRA through peft."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import RunConfig
from engine.models.loading import load_model_and_tokenizer
from engine.models.targets import lora_targets
from engine.train.decisions import packed_attention_kernel


@dataclass(frozen=True)
class TrainableModel:
    """The model handed to the Trainer, its tokenizer, and lines worth logging about how it was built."""

    model: Any
    tokenizer: Any
    notes: tuple[str, ...]
    params_total: int
    params_trainable: int


def build_model(config: RunConfig, folder: Path, *, dtype: str, device: str) -> TrainableModel:
    """Load the base, add tokens, pick the packed attention kernel, wrap it in LoRA (or train every weight)."""
    from engine.train.chunked_loss import use_chunked_loss
    from engine.train.lean_lora import use_lean_lora
    from engine.train.packed_attention import use_packed_sdpa

    attn = config.requested_attn_implementation() or "sdpa"
    if attn == "xformers":
        from engine.train.xformers_attention import register

        register()
    if config.load_in_4bit or config.load_in_8bit:
        from engine.train.quantized import load_quantized

        model, tokenizer, notes = load_quantized(config, folder, dtype=dtype, attn_implementation=attn)
    else:
        loaded = load_model_and_tokenizer(
            folder,
            dtype=dtype,
            attn_implementation=attn,
            device=device,
            trust_remote_code=bool(config.trust_remote_code),
        )
        model, tokenizer, notes = loaded.model, loaded.tokenizer, loaded.notes
    notes = (*notes, *apply_tokens(config, tokenizer, model))
    per_sample, reason = packed_attention_kernel(config)
    if per_sample:
        use_packed_sdpa(model)
        notes = (*notes, f"attention: {reason}")
    notes = (*notes, use_chunked_loss(model))
    if config.uses_lora():
        model = wrap_lora(config, model)
        notes = (*notes, use_lean_lora(model))
    total, trainable = count_parameters(model)
    return TrainableModel(model, tokenizer, notes, total, trainable)


def apply_tokens(config: RunConfig, tokenizer: Any, model: Any) -> tuple[str, ...]:
    """Set `special_tokens`, add `tokens`, and grow the embeddings when the vocabulary grew."""
    notes: list[str] = []
    if config.special_tokens:
        tokenizer.add_special_tokens(dict(config.special_tokens))
        notes.append(f"special tokens set: {', '.join(f'{k}={v!r}' for k, v in config.special_tokens.items())}")
    if config.tokens:
        added = tokenizer.add_tokens(list(config.tokens))
        notes.append(f"{added} new token(s) added to the vocabulary")
    embeddings = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > embeddings:
        model.resize_token_embeddings(len(tokenizer))
        notes.append(f"embeddings resized from {embeddings} to {len(tokenizer)} rows")
    if tokenizer.pad_token_id is not None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return tuple(notes)


def lora_config(config: RunConfig, model_type: str | None) -> Any:
    """peft's LoraConfig from axolotl's lora_* keys, for a model of `model_type` (which decides the default
    targets)."""
    from peft import LoraConfig

    return LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=lora_targets(config, model_type),
        modules_to_save=config.lora_modules_to_save,
        fan_in_fan_out=bool(config.lora_fan_in_fan_out),
        use_dora=bool(config.peft_use_dora),
        use_rslora=bool(config.peft_use_rslora),
        bias="none",
    )


def wrap_lora(config: RunConfig, model: Any) -> Any:
    """A fresh adapter, or the one in `lora_model_dir` to continue training it."""
    from peft import PeftModel, get_peft_model

    from engine.train.model_card import name_base_model

    if config.lora_model_dir:
        wrapped = PeftModel.from_pretrained(model, config.lora_model_dir, is_trainable=True)
    else:
        wrapped = get_peft_model(model, lora_config(config, getattr(model.config, "model_type", None)))
    name_base_model(wrapped, config)  # adapter_config.json then names the hub id, not this machine's cache folder
    return wrapped


def count_parameters(model: Any) -> tuple[int, int]:
    total = trainable = 0
    for parameter in model.parameters():
        total += parameter.numel()
        if parameter.requires_grad:
            trainable += parameter.numel()
    return total, trainable
