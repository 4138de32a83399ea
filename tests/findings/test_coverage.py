"""Fast version of benchmarks/bench_ppi_coverage.py: PPI intervals hold the truth at about the
nominal rate, the model-only interval far less often, and PPI is narrower than human only."""

from __future__ import annotations

from edukit.findings.simulate import CoverageSettings, prevalence_coverage, slope_coverage


def test_prevalence_coverage():
    res = prevalence_coverage(CoverageSettings(corpora=250, n_items=2000, seed=7))
    assert res["ppi"].covered >= 0.92  # nominal 0.95; 250 corpora: sd about 0.014
    assert res["model"].covered < 0.3
    assert res["ppi"].width < 0.9 * res["human"].width


def test_slope_coverage():
    res = slope_coverage(CoverageSettings(corpora=300, seed=7))
    assert res["ppi"].covered >= 0.92
    assert res["model"].covered < 0.3
    assert res["ppi"].width < 0.9 * res["human"].width
