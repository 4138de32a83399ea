"""Fine-tuning exports: formats, splits, validation."""
