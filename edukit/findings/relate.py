"""Group rates to outcomes: OLS with cluster-robust standard errors, and the prediction-powered
coefficient beside the naive one.

Naive: statsmodels OLS of the outcome on the rates (and covariates) with an intercept;
the outcome may itself be a rate and a regressor a column of the outcomes table (a lesson's
teacher-move rate on its study year: `--y` names a rates column, `--x` an outcomes column);
cluster-robust (CR1, statsmodels' `cov_type="cluster"`) standard errors when a cluster column is
given, else heteroskedasticity-robust HC1. With `fixed_effects` (a column such as the teacher), one
indicator per value but the first joins the design, so each coefficient compares groups of the
same value (a teacher's Year 2 lessons with the same teacher's Year 1 lessons); the indicators'
coefficients are not reported.

Prediction-powered (when `human_rates` is given): the rates counted from model labels are
predicted covariates (or a predicted outcome, when `y` is a rate); `human_rates` (the same
`aggregate` table computed from human labels, for the groups humans coded in full, drawn at random)
gives their true values on those groups. The PPI++
least-squares coefficient (`edukit.findings.ppi.ppi_ols`) uses the coded groups as the labelled
set and every group's model rates as predictions. Its interval treats groups as independent (no
clustering).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from edukit.errors import InputError

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RelateSettings:
    on: str
    y: str
    x: list[str]
    cluster: str | None = None
    covariates: list[str] = field(default_factory=list)
    confidence: float = 0.95
    fixed_effects: str | None = None


@dataclass
class Coefficient:
    name: str
    naive: dict[str, Any]
    ppi: dict[str, Any] | None
    sentence: str

    def to_json(self) -> dict:
        return {"naive": self.naive, "ppi": self.ppi, "plain": self.sentence}


@dataclass
class Relation:
    settings: RelateSettings
    n: int
    n_clusters: int | None
    n_human_coded: int | None
    coefficients: dict[str, Coefficient]
    data: pd.DataFrame  # the rows the fit used (for the scatter)
    se_type: str
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    human_data: pd.DataFrame | None = None  # the human-coded rows with the humans' rates

    def to_json(self) -> dict:
        s = self.settings
        return {
            "outcome": s.y,
            "on": s.on,
            "x": s.x,
            "covariates": s.covariates,
            "cluster": s.cluster,
            "fixed_effects": s.fixed_effects,
            "n": self.n,
            "n_clusters": self.n_clusters,
            "n_human_coded": self.n_human_coded,
            "standard_errors": self.se_type,
            "confidence": s.confidence,
            "coefficients": {k: c.to_json() for k, c in self.coefficients.items()},
            "notes": self.notes,
            "provenance": self.provenance,
        }


def _key(df: pd.DataFrame, on: str, what: str, path: str | None) -> pd.Series:
    if on not in df.columns:
        raise InputError(
            f"--on: the {what} have no column {on!r} (columns: {', '.join(map(str, df.columns))})",
            path=path,
        )
    return df[on].map(_key_text)


def _key_text(value) -> str:
    """A key as text; the ' edukit writes before a cell starting with = + - @ (formula-safe CSV,
    e.g. SIGHT's video id -hN2mZq8YtU) is not part of the key."""
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        return text[1:]
    return text


def _numeric(df: pd.DataFrame, col: str, what: str, path: str | None) -> pd.Series:
    import pandas as pd

    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna() & df[col].notna() & (df[col].astype(str).str.strip() != "")
    bad |= values.isin([float("inf"), float("-inf")])  # 'inf' parses, but fits nothing
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{what} column {col!r}: {str(df[col].iloc[i])!r} is not a finite number",
            path=path,
            where=f"row {i + 2}" if path and str(path).endswith(".csv") else f"row {i + 1}",
        )
    return values


def relate(
    rates: pd.DataFrame,
    outcomes: pd.DataFrame,
    settings: RelateSettings,
    *,
    human_rates: pd.DataFrame | None = None,
    paths: dict[str, str] | None = None,
) -> Relation:
    """Fit the outcome on the rates (module docstring); `paths` names the files in errors."""
    import numpy as np

    s = settings
    paths = paths or {}
    if not 0.5 <= s.confidence < 1:
        raise InputError(f"--confidence must be in [0.5, 1), not {s.confidence}")
    rk = _key(rates, s.on, "rates", paths.get("rates"))
    ok = _key(outcomes, s.on, "outcomes", paths.get("outcomes"))
    if rk.duplicated().any():
        raise InputError(
            f"--on {s.on}: key {rk[rk.duplicated()].iloc[0]!r} repeats in the rates: "
            "one row per group",
            path=paths.get("rates"),
        )
    # a column is taken from the rates when they have it (x) or the outcomes lack it (y)
    rate_x = [c for c in s.x if c in rates.columns]
    for col in s.x:
        if col not in rates.columns and col not in outcomes.columns:
            raise InputError(
                f"--x: neither the rates nor the outcomes have a column {col!r}",
                path=paths.get("rates"),
            )
    y_rate = s.y not in outcomes.columns
    if y_rate and s.y not in rates.columns:
        raise InputError(
            f"--y: neither the outcomes nor the rates have a column {s.y!r}",
            path=paths.get("outcomes"),
        )
    data = outcomes.assign(_key=ok)
    if not y_rate:
        data["_y"] = _numeric(outcomes, s.y, "outcome", paths.get("outcomes")).to_numpy()
    for col in s.x:
        if col not in rate_x:
            data[col] = _numeric(outcomes, col, "regressor", paths.get("outcomes")).to_numpy()
    extra = [c for c in rates.columns if c not in outcomes.columns and c not in rate_x]
    xs = rates.assign(_key=rk)[["_key", *rate_x, *extra]]
    for col in rate_x:
        xs[col] = _numeric(rates, col, "rate", paths.get("rates")).to_numpy()
    if y_rate:
        xs["_y"] = _numeric(rates, s.y, "rate", paths.get("rates")).to_numpy()
    merged = data.drop(columns=[c for c in rate_x if c in data.columns]).merge(xs, on="_key")
    if merged.empty:
        raise InputError(
            f"--on {s.on}: no key of the outcomes matches a key of the rates "
            f"(outcomes e.g. {ok.iloc[0]!r}, rates e.g. {rk.iloc[0]!r})",
            path=paths.get("outcomes"),
        )
    for col in s.covariates:
        if col not in merged.columns:
            raise InputError(f"--covariates: no column {col!r} in the outcomes or the rates")
        merged[col] = _numeric(merged, col, "covariate", paths.get("outcomes")).to_numpy()
    if s.cluster and s.cluster not in merged.columns:
        raise InputError(f"--cluster: no column {s.cluster!r} in the outcomes or the rates")
    if s.fixed_effects and s.fixed_effects not in merged.columns:
        raise InputError(
            f"--fixed-effects: no column {s.fixed_effects!r} in the outcomes or the rates"
        )
    notes = []
    unmatched = int((~ok.isin(set(rk))).sum())
    if unmatched:
        notes.append(f"{unmatched} outcome rows have no group in the rates (left out)")
    cols = ["_y", *s.x, *s.covariates, *([s.fixed_effects] if s.fixed_effects else [])]
    complete = merged[cols].notna().all(axis=1)
    if not complete.all():
        notes.append(f"{int((~complete).sum())} rows with a missing value left out")
    merged = merged[complete].reset_index(drop=True)
    design = [*s.x, *s.covariates]
    if s.fixed_effects:
        merged, indicators, fe_notes = _fixed_effects(merged, s)
        design += indicators
        notes += fe_notes
    k = 1 + len(design)
    if len(merged) <= k:
        raise InputError(f"{len(merged)} usable rows for {k} coefficients: too few to fit")
    if s.y in design:
        raise InputError(f"--y {s.y} is also a regressor (--x or --covariates)")
    if len(set(design)) < len(design) or np.linalg.matrix_rank(_design(merged, design)) < k:
        raise InputError(
            f"the regressors {', '.join(dict.fromkeys(design))} are collinear (a repeated or "
            "constant column, or one a combination of others): their coefficients cannot be "
            "estimated"
        )

    fit, se_type, n_clusters = _naive(merged, s, design)
    ppi, n_coded, human_data = None, None, None
    if human_rates is not None:
        rated = [*rate_x, *([s.y] if y_rate else [])]
        ppi, n_coded, ppi_notes, human_data = _ppi(
            merged, human_rates, s, rated, design, paths.get("human_rates")
        )
        notes += ppi_notes
    coefs = {}
    for j, name in enumerate(["const", *s.x, *s.covariates]):
        b, se = float(fit.params[j]), float(fit.bse[j])
        lo, hi = fit.conf_int(alpha=1 - s.confidence)[j]
        naive = {"coef": b, "se": se, "ci": [float(lo), float(hi)], "p": float(fit.pvalues[j])}
        entry = ppi[name] if ppi and name in ppi else None
        coefs[name] = Coefficient(name, naive, entry, _sentence(name, s, naive, entry))
    return Relation(
        s, len(merged), n_clusters, n_coded, coefs, merged, se_type, notes, human_data=human_data
    )


def _design(df: pd.DataFrame, cols: list[str]):
    import numpy as np

    return np.column_stack([np.ones(len(df)), *(df[c].to_numpy(float) for c in cols)])


def _fixed_effects(df: pd.DataFrame, s: RelateSettings):
    """One 0/1 indicator per value of the fixed-effects column but the first (sorted); notes
    saying how many values the regressors vary within (only those inform the coefficients)."""
    import numpy as np

    fe = s.fixed_effects
    values = df[fe].astype(str).str.strip()
    levels = sorted(set(values))
    if len(levels) < 2:
        raise InputError(f"--fixed-effects {fe}: one value only; nothing to hold fixed")
    names = [f"_fe[{lv}]" for lv in levels[1:]]
    df = df.assign(
        **{n: (values == lv).astype(float) for n, lv in zip(names, levels[1:], strict=True)}
    )
    x = _design(df, [*s.x, *s.covariates, *names])
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise InputError(
            f"--fixed-effects {fe}: a regressor does not vary within any {fe} "
            "(or regressors are collinear): its coefficient cannot be estimated"
        )
    notes = [
        f"fixed effects for {fe} ({len(levels)} values): "
        f"coefficients compare groups of the same {fe}"
    ]
    for col in [*s.x, *s.covariates]:
        varying = int((df.groupby(values)[col].nunique() > 1).sum())
        notes.append(
            f"{col} varies within {varying} of the {len(levels)} values of {fe}; "
            "only those inform its coefficient"
        )
    return df, names, notes


def _naive(df: pd.DataFrame, s: RelateSettings, design: list[str]):
    import numpy as np
    import statsmodels.api as sm

    x = _design(df, design)
    model = sm.OLS(df["_y"].to_numpy(float), x)
    if s.cluster:
        codes = np.unique(df[s.cluster].astype(str), return_inverse=True)[1]
        n_clusters = int(codes.max() + 1)
        if n_clusters < 2:
            raise InputError(f"--cluster {s.cluster}: one cluster only; cannot cluster")
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
        return fit, f"cluster-robust by {s.cluster} ({n_clusters} clusters)", n_clusters
    return model.fit(cov_type="HC1"), "heteroskedasticity-robust (HC1)", None


def _ppi(
    df: pd.DataFrame,
    human: pd.DataFrame,
    s: RelateSettings,
    rated: list[str],
    design: list[str],
    path: str | None,
):
    """PPI++ coefficients; `rated` are the fit's columns counted from the model's labels (rates
    used as regressors, and the outcome when it is a rate), whose true values `human` holds."""
    import numpy as np

    from edukit.findings.ppi import effective_n, ppi_ols

    hk = _key(human, s.on, "human rates", path)
    for col in rated:
        if col not in human.columns:
            raise InputError(f"the human rates have no column {col!r}", path=path)
    truth = human.assign(_key=hk).drop_duplicates("_key").set_index("_key")
    for col in rated:  # groups the humans did not code have no rate (aggregate writes it empty)
        truth[col] = _numeric(truth, col, "human rate", path)
    truth = truth.dropna(subset=rated)
    labelled = df["_key"].isin(truth.index).to_numpy()
    n = int(labelled.sum())
    k = 1 + len(design)
    if n <= k + 1:
        raise InputError(
            f"--human-rates: {n} of the fitted groups are human-coded; need more than {k + 1}",
            path=path,
        )
    lab = df[labelled]
    x_hat = _design(lab, design)
    if s.fixed_effects and np.linalg.matrix_rank(x_hat) < x_hat.shape[1]:
        raise InputError(
            f"--human-rates with --fixed-effects {s.fixed_effects}: within the human-coded "
            f"groups a regressor does not vary within any {s.fixed_effects}, or some value of "
            f"{s.fixed_effects} has no human-coded group: code more groups, or drop "
            "--fixed-effects for the prediction-powered coefficient",
            path=path,
        )
    x_true = x_hat.copy()
    for j, col in enumerate(s.x, start=1):
        if col in rated:
            x_true[:, j] = truth[col].reindex(lab["_key"]).to_numpy(float)
    y_hat = lab["_y"].to_numpy(float)
    y_lab = truth[s.y].reindex(lab["_key"]).to_numpy(float) if s.y in rated else y_hat
    xu = _design(df, design)
    yu = df["_y"].to_numpy(float)
    fit = ppi_ols(x_true, y_lab, x_hat, y_hat, xu, yu, confidence=s.confidence)
    classical = ppi_ols(x_true, y_lab, x_hat, y_hat, xu, yu, confidence=s.confidence, lam=0.0)
    eff = effective_n(classical, fit)
    out = {}
    for j, name in enumerate(["const", *s.x, *s.covariates]):
        out[name] = {
            "coef": float(fit.coef[j]),
            "se": float(fit.se[j]),
            "ci": [float(fit.ci[j, 0]), float(fit.ci[j, 1])],
            "lambda": fit.lam,
            "human_only": {
                "coef": float(classical.coef[j]),
                "ci": [float(classical.ci[j, 0]), float(classical.ci[j, 1])],
            },
            "effective_n": round(float(eff[j]), 1) if np.isfinite(eff[j]) else None,
            "n": n,
        }
    notes = [
        f"prediction-powered: {n} human-coded groups as the labelled set, the model's rates on "
        f"all {len(df)} as predictions; its interval treats groups as independent"
    ]
    human_data = lab.assign(**{col: x_true[:, j] for j, col in enumerate(s.x, start=1)}, _y=y_lab)
    return out, n, notes, human_data


def _sentence(name: str, s: RelateSettings, naive: dict, ppi: dict | None) -> str:
    """One plain-language line per coefficient."""
    pct = round(100 * s.confidence)
    if name == "const":
        which = f" and the first {s.fixed_effects}" if s.fixed_effects else ""
        return (
            f"With every predictor at 0{which}, the expected {s.y} is {naive['coef']:.3g} "
            f"({pct}% CI {naive['ci'][0]:.3g} to {naive['ci'][1]:.3g})."
        )
    step, unit = (0.1, "10 percentage points") if name.endswith(".rate") else (1.0, "1 unit")
    if name.endswith(".per100"):
        step, unit = 10.0, "10 more per 100 items"
    b = naive["coef"] * step
    lo, hi = naive["ci"][0] * step, naive["ci"][1] * step
    direction = "higher" if b >= 0 else "lower"
    text = (
        f"Groups whose {name} is {unit} higher have {s.y} {abs(b):.3g} {direction} on average "
        f"(naive {pct}% CI {lo:.3g} to {hi:.3g}"
    )
    text += f", p = {naive['p']:.2g})" if math.isfinite(naive["p"]) else ")"
    if ppi is not None:
        pb, plo, phi = (v * step for v in (ppi["coef"], *ppi["ci"]))
        text += (
            f"; corrected with the human-coded groups (PPI): {pb:.3g} "
            f"({pct}% CI {plo:.3g} to {phi:.3g})"
        )
        if plo <= 0 <= phi:
            text += ", an interval that includes no association"
    others = [o for o in [*s.x, *s.covariates] if o != name]
    if others:
        text += f", holding {', '.join(others)} fixed"
    if s.fixed_effects:
        text += f", within the same {s.fixed_effects}"
    return text + ". An association between groups, not an effect."
