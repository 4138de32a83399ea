"""Rubric development: compare arms (prompt strategies x rubric versions x models) with humans.

`compare_arms(annotations, humans, arms)` compares raters of one long table; `from_annotations`
compares the model labels a file already holds (SIGHT: one arm per prompt folder). Each arm gets
the `edukit agree` figures against the humans plus classification scores, and every pair of arms
a paired, clustered bootstrap difference with Holm's adjustment (`edukit.develop.paired`).
"""

from edukit.develop.comparison import compare_arms, from_annotations
from edukit.develop.evaluate import Settings
from edukit.develop.result import CompareResult

__all__ = ["CompareResult", "Settings", "compare_arms", "from_annotations"]
