"""edukit: loaders, rubric-driven LLM annotation, agreement analysis and fine-tuning exports
for research on tutoring dialogues and student feedback."""

__version__ = "0.1.0"
