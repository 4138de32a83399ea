"""From labels to findings: corpus-level estimates, aggregation to groups, links to outcomes.

- `estimate.estimate(...)`: prevalence of each category by three methods side by side (model
  only, human only, prediction-powered) with 95% intervals.
- `aggregate.aggregate(...)`: per group counts, rates and rates per 100 items of each category.
- `relate.relate(...)`: OLS of an outcome on group rates with cluster-robust standard errors, and
  the prediction-powered coefficient beside the naive one when a human-coded sample exists.
- `ppi`: the estimators (ppi-python's PPI++ mean; one PPI++ least-squares estimator that also
  takes predicted covariates).

ppi-python imports numba, which is slow: every module imports it inside the functions.
"""
