"""8- and 4-bit base models through bitsandbytes (CUDA only; the rule catalog refuses them elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.config import RunConfig
from engine.models.loading import to_torch_dtype


def load_quantized(config: RunConfig, folder: Path, *, dtype: str, attn_implementation: str) -> tuple[Any, Any, tuple]:
    """Load the frozen base quantised (QLoRA: NF4 with double quantisation, bf16/fp32 compute) on this rank's GPU."""
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    compute_dtype = to_torch_dtype(dtype)
    if config.load_in_4bit:
        quantization = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute_dtype,
        )
    else:
        quantization = BitsAndBytesConfig(load_in_8bit=True)
    model = AutoModelForCausalLM.from_pretrained(
        folder,
        quantization_config=quantization,
        dtype=compute_dtype,
        attn_implementation=attn_implementation,
        device_map={"": int(os.environ.get("LOCAL_RANK", "0") or 0)},
        trust_remote_code=bool(config.trust_remote_code),
    )
    model.config.use_cache = False
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=bool(config.gradient_checkpointing))
    tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=bool(config.trust_remote_code))
    notes: tuple[str, ...] = (f"base weights loaded in {4 if config.load_in_4bit else 8} bits (bitsandbytes)",)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
        notes = (*notes, f"the tokenizer had no pad token; using {tokenizer.eos_token!r}")
    return model, tokenizer, notes
