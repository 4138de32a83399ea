"""The run store's concepts; `edukit.annotate.store.RunStore` puts them together."""
