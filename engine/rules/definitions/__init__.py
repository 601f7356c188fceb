"""Every rule of the catalog, one module per id prefix (`lora.*` lives in lora.py); importing this package
registers them all."""

from engine.rules.definitions import (
    adapter,
    attention,
    axolotl,
    batch,
    checkpoint,
    data,
    disk,
    distributed,
    lora,
    memory,
    model,
    optim,
    packing,
    precision,
    quant,
    schedule,
    tokens,
    wandb,
)

__all__ = [
    "adapter",
    "attention",
    "axolotl",
    "batch",
    "checkpoint",
    "data",
    "disk",
    "distributed",
    "lora",
    "memory",
    "model",
    "optim",
    "packing",
    "precision",
    "quant",
    "schedule",
    "tokens",
    "wandb",
]
