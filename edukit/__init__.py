"""edukit: loaders, rubric-driven LLM annotation, agreement analysis and fine-tuning exports
for research on tutoring dialogues and student feedback."""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `edukit.compare(...)` without importing pandas at `import edukit` (the CLI's start-up)
    if name == "compare":
        from edukit.develop import compare

        return compare
    raise AttributeError(f"module 'edukit' has no attribute {name!r}")
