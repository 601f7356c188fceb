"""Tiny models and tokenizers built offline in milliseconds, shared by every engine test.

Public API (keep stable; other test suites import it):
    tiny_tokenizer(chat_template=CHATML_TEMPLATE, vocab_size=384) -> a fast tokenizer with ChatML specials
    tiny_llama(vocab_size=..., attn_implementation="sdpa", seed=0, **config_overrides) -> LlamaForCausalLM
    CHATML_TEMPLATE, SPECIAL_TOKENS
"""

from __future__ import annotations

import functools
from typing import Any

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""ChatML, the layout SmolLM2 and Qwen use; the tiny tokenizer ships with it."""

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>")
"""Ids 0..3 of the tiny vocabulary: bos, turn start, turn end (= eos), padding."""

_CORPUS = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
    "### Instruction:\nGive three tips for staying healthy.\n\n### Response:\nEat well, sleep, and exercise.",
    "The quick brown fox jumps over the lazy dog. Hello there! How are you today? I am fine, thank you.",
    "user assistant system What is the capital of France? The capital of France is Paris.",
    "Packing puts several short samples into one row; attention must stay inside each sample.",
    "0123456789 + - * / = ( ) [ ] { } , . ; : ' \" ? ! \n\n",
)


@functools.cache
def _tokenizer_json(vocab_size: int) -> str:
    """Train a byte-level BPE on the small corpus once per vocab size (deterministic, ~10 ms)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    return tok.to_str()


def tiny_tokenizer(chat_template: str | None = CHATML_TEMPLATE, vocab_size: int = 384) -> Any:
    """A fresh fast tokenizer (byte-level BPE, so any text round-trips) with eos <|im_end|> and pad <pad>.

    It adds no BOS, like SmolLM2's. Built from an in-memory corpus, so no network or cache is needed.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_tokenizer_json(vocab_size)),
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        additional_special_tokens=["<|im_start|>"],
    )
    tokenizer.chat_template = chat_template
    return tokenizer


def tiny_llama(vocab_size: int = 384, attn_implementation: str = "sdpa", seed: int = 0, **config_overrides: Any) -> Any:
    """A 2-layer Llama (hidden 32, GQA 4/2 heads) with random weights, in eval mode, float32, on CPU."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    settings: dict[str, Any] = {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "pad_token_id": 3,
        "bos_token_id": 0,
        "eos_token_id": 2,
    }
    settings.update(config_overrides)
    config = LlamaConfig(**settings)
    config._attn_implementation = attn_implementation
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()


def fake_checkpoint(folder: Any, trainer_state: str = '{"global_step": 1}') -> Any:
    """A checkpoint-N folder a resume accepts, without training: a trainer state and an empty but whole safetensors
    file (an 8-byte header length and the header `{}`), created with its parents; returns the folder."""
    import struct

    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(trainer_state)
    (folder / "adapter_model.safetensors").write_bytes(struct.pack("<Q", 2) + b"{}")
    return folder
