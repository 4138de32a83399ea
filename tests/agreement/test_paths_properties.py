"""Property: for random typed data, the CLI, the library and the reference libraries agree.

Random long files (integer scales, negative codes, unequally spaced decimals written as "3" or
"3.0", or words in a declared order), two or three raters with gaps; each coefficient is computed
by `edukit agree --json`, by `raters_agreement` on the same file, and by scikit-learn /
statsmodels / irrCAC / krippendorff on the same ratings.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

from edukit.agreement.compare import raters_agreement
from edukit.annotations import read_annotations

# irrCAC pins old scipy/pandas in its metadata: the README test command installs it --no-deps.
CAC = pytest.importorskip("irrCAC.raw", reason="pip install --no-deps irrCAC").CAC

WORDS = ["never", "rarely", "sometimes", "often", "always"]
SCALES = {
    "1-10": list(range(1, 11)),
    "negative": [-2, -1, 0, 1, 2],
    "unequal": [0.5, 2, 7],
    "words": WORDS,
}
SETUPS = [  # (metric, weights, level, raters)
    ("cohen", None, "nominal", 2),
    ("cohen", "linear", "nominal", 2),
    ("cohen", "quadratic", "nominal", 2),
    ("ac1", None, "nominal", 2),
    ("ac1", None, "nominal", 3),
    ("ac1", "linear", "nominal", 3),
    ("ac1", "quadratic", "nominal", 2),
    ("fleiss", None, "nominal", 2),
    ("fleiss", None, "nominal", 3),
    ("alpha", None, "nominal", 3),
    ("alpha", None, "ordinal", 3),
    ("alpha", None, "interval", 2),
]


@st.composite
def cases(draw):
    scale = draw(st.sampled_from(sorted(SCALES)))
    metric, weights, level, n_raters = draw(st.sampled_from(SETUPS))
    if scale == "words" and level == "interval":
        level = "ordinal"  # interval alpha on words is refused (tested elsewhere)
    values = SCALES[scale]
    n = draw(st.integers(6, 25))
    base = draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))
    cols = []
    for _ in range(n_raters):
        noise = draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))
        keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        gaps = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
        cols.append(
            [
                None if g == 0 else (b if k else x)
                for b, x, k, g in zip(base, noise, keep, gaps, strict=True)
            ]
        )
    float_text = draw(st.booleans())  # write 3 as "3.0" in one rater's column
    return scale, metric, weights, level, cols, float_text


def _write(path: Path, scale: str, cols: list[list], float_text: bool) -> None:
    rows = []
    for j, col in enumerate(cols):
        for i, v in enumerate(col):
            if v is None:
                continue
            text = f"{float(v)}" if float_text and j == 0 and scale != "words" else str(v)
            rows.append((f"u{i}", f"R{j}", "scale", text))
    pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"]).to_csv(path, index=False)


def _reference(scale, metric, weights, level, cols) -> float:
    """The reference library's value on the same ratings (words -> ranks 1..5)."""
    rank = {w: i + 1 for i, w in enumerate(WORDS)}
    num = [[np.nan if v is None else float(rank.get(v, v)) for v in c] for c in cols]
    if len(cols) == 2 and metric not in ("ac1", "fleiss"):  # a pair: the items both rated
        both = [i for i in range(len(num[0])) if not (np.isnan(num[0][i]) or np.isnan(num[1][i]))]
        num = [[c[i] for i in both] for c in num]
    used = sorted({v for c in num for v in c if not np.isnan(v)})
    assume(
        len(used) >= 2 and any(sum(not np.isnan(v) for v in r) >= 2 for r in zip(*num, strict=True))
    )
    if metric == "cohen":
        if weights is None:
            return cohen_kappa_score([str(v) for v in num[0]], [str(v) for v in num[1]])
        pairs = list(zip(num[0], num[1], strict=True))
        table = np.array([[pairs.count((u, v)) for v in used] for u in used])
        return sm_kappa(table, weights=np.array(used), wt=weights).kappa
    if metric == "alpha":
        return krippendorff.alpha(reliability_data=num, level_of_measurement=level)
    df = pd.DataFrame({f"r{i}": c for i, c in enumerate(num)})
    # declared words: every category enters the chance term; numbers: the observed ones
    # (irrCAC 0.4.4 with this pandas counts NaN as a category when it infers them: name them)
    categories = [1.0, 2.0, 3.0, 4.0, 5.0] if scale == "words" else used
    cac = CAC(df, weights=weights or "identity", categories=categories)
    return (cac.gwet if metric == "ac1" else cac.fleiss)()["est"]["coefficient_value"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(cases())
def test_cli_library_and_reference_agree(cli, case):
    scale, metric, weights, level, cols, float_text = case
    assume(all(sum(v is not None for v in c) >= 2 for c in cols))  # every rater rated something
    expected = _reference(scale, metric, weights, level, cols)
    assume(np.isfinite(expected))
    raters = [f"R{j}" for j in range(len(cols))]
    declared = WORDS if scale == "words" else None
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "ann.csv", Path(tmp) / "out.json"
        _write(path, scale, cols, float_text)
        args = ["agree", path, "--raters", ",".join(raters), "--metric", metric, "--n-boot", "0"]
        args += ["--level", level] + (["--weights", weights] if weights else [])
        args += ["--categories", ",".join(WORDS)] if declared else []
        r = cli(*args, "--json", out)
        assert r.code == 0, r.err
        via_cli = json.loads(out.read_text())["labels"]["scale"]["value"]
        lib = raters_agreement(
            read_annotations(path),
            raters,
            metric=metric,
            level=level,
            weights=weights,
            categories=declared,
            n_boot=0,
        )
    via_library = lib.labels["scale"].value
    assert via_cli == pytest.approx(via_library, abs=1e-12)
    # irrCAC rounds to 5 decimals
    assert via_library == pytest.approx(expected, abs=1e-5 if metric in ("ac1", "fleiss") else 1e-9)
