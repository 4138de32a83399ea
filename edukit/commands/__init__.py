"""CLI command modules: each exposes `register(app)` and imports heavy libraries lazily."""
