"""Tutor evaluation: MRBench dimensions and interactive Success@k / Telling@k."""
