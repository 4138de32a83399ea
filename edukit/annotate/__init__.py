"""The LLM annotation engine: backends, run store, rate limits and cost."""
