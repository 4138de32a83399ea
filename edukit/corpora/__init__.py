"""Corpus loaders: one module per corpus, each returning pandas DataFrames."""
