"""Helpers that lay out tiny runs on disk the way `ft-tui train` leaves them (no training involved)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TinyRun:
    config_path: Path
    base_folder: Path
    output_dir: Path


def write_config(path: Path, base_folder: Path, output_dir: Path, extra: str = "") -> Path:
    path.write_text(f"base_model: {base_folder}\noutput_dir: {output_dir}\n{extra}", encoding="utf-8")
    return path


def save_adapter(base_folder: Path, folder: Path, seed: int = 1) -> None:
    """A LoRA adapter with random (non-zero) B matrices, so it really changes the base's outputs."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(base_folder)
    lora = LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False)
    get_peft_model(base, lora).save_pretrained(folder)
