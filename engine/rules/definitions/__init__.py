"""Every rule of the catalog, one module per topic; importing this package registers them all."""

from engine.rules.definitions import (
    adapter,
    attention,
    axolotl,
    data,
    disk,
    integrations,
    packing,
    precision,
    schedule,
    sharding,
    targets,
)

__all__ = [
    "adapter",
    "attention",
    "axolotl",
    "data",
    "disk",
    "integrations",
    "packing",
    "precision",
    "schedule",
    "sharding",
    "targets",
]
