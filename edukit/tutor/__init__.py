"""Tutor evaluation: MRBench scoring (DAMR, BEA 2025 metrics) and interactive evaluation."""
