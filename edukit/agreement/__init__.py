"""Agreement: coefficients, human-vs-model comparison, bootstrap intervals.

`compare(...)` is what `edukit agree --humans ... --models ...` runs; `raters_agreement(...)` is
`--raters`. The coefficients live in `edukit.agreement.coefficients`, the typed category domain
of a label in `edukit.agreement.domain`, the estimator rules in `edukit.agreement.label`.
"""

from edukit.agreement.bootstrap import Estimate, Resampler, percentile_ci
from edukit.agreement.coefficients import (
    METRICS,
    Coefficient,
    cohen_kappa,
    confusion,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
    prevalence,
    specific_agreement,
)
from edukit.agreement.compare import (
    Comparison,
    LabelComparison,
    RatersAgreement,
    compare,
    raters_agreement,
)
from edukit.agreement.domain import Domain, rubric_categories
from edukit.agreement.matrix import rating_matrix, select_versions

__all__ = [
    "METRICS",
    "Coefficient",
    "Comparison",
    "Domain",
    "Estimate",
    "LabelComparison",
    "RatersAgreement",
    "Resampler",
    "cohen_kappa",
    "compare",
    "confusion",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "percent_agreement",
    "percentile_ci",
    "prevalence",
    "raters_agreement",
    "rating_matrix",
    "rubric_categories",
    "select_versions",
    "specific_agreement",
]
