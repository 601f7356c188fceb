"""Every rule of the catalog, one module per topic; importing this package registers them all."""

from engine.rules.definitions import (
    adapter,
    attention,
    data,
    disk,
    integrations,
    packing,
    precision,
    schedule,
    targets,
)

__all__ = ["adapter", "attention", "data", "disk", "integrations", "packing", "precision", "schedule", "targets"]
