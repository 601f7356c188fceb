"""What is known about which versions work together, as data: one place to update when new wheels appear.

xformers publishes wheels built against one exact torch release (its `Requires-Dist: torch==X`); loading one on
another torch fails or silently falls back. The pins below are read from each release's metadata on PyPI.
"""

from __future__ import annotations

XFORMERS_TORCH: dict[str, str] = {
    "0.0.28.post1": "==2.4.1",
    "0.0.28.post2": "==2.5.0",
    "0.0.28.post3": "==2.5.1",
    "0.0.29.post1": "==2.5.1",
    "0.0.29.post2": "==2.6.0",
    "0.0.29.post3": "==2.6.0",
    "0.0.30": "==2.7.0",
    "0.0.31": "==2.7.1",
    "0.0.31.post1": "==2.7.1",
    "0.0.32.post1": "==2.8.0",
    "0.0.32.post2": "==2.8.0",
    "0.0.33": "==2.9.0",
    "0.0.33.post1": "==2.9.0",
    "0.0.33.post2": "==2.9.1",
    "0.0.34": "==2.10.0",
    "0.0.35": ">=2.10",
}
"""xformers release -> the torch versions its wheel accepts (PyPI metadata)."""

SDPA_MIN_TORCH = "2.1.1"
"""transformers uses torch's scaled_dot_product_attention from this torch on."""

FSDP2_MIN_TORCH = "2.4"
"""`fully_shard` (FSDP2), which accelerate's `fsdp_version: 2` uses."""

FLASH_ATTN_MIN_CAPABILITY = (8, 0)
"""flash-attn 2 kernels exist for Ampere (8.0) and newer GPUs only; Turing and Volta get none."""

BF16_MIN_CAPABILITY = (8, 0)
"""Native bf16 (and tf32) tensor cores start with Ampere."""

CUDA_WHEEL_INDEX = "https://download.pytorch.org/whl/cu128"
"""Where CUDA builds of torch come from (CUDA 12.8 wheels run on any driver from the 12.8 series on)."""

PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "datasets",
    "xformers",
    "flash-attn",
    "bitsandbytes",
    "deepspeed",
    "textual-serve",
)
"""The distributions `ft-tui doctor` reports, in this order."""

TEXTUAL_SERVE_INSTALL = "pip install 'textual-serve==1.1.3'"
"""What `ft-tui serve` needs (a default dependency, pinned in pyproject.toml; this line when it is missing)."""
