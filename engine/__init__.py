"""ft-tui engine: config model, data pipeline, packing and LoRA training, with no UI dependencies."""
