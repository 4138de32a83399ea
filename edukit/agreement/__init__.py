"""Agreement: coefficients, human-vs-model comparison, bootstrap intervals."""
