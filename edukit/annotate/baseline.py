"""The offline baseline `local:tfidf-logreg`: TF-IDF + logistic regression per label.

A cheap supervised baseline that needs no network and no model download: it learns one human
rater's labels and annotates the remaining items, writing the same long table as the LLM engine so
that `edukit agree` can put it next to the humans and the models.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from edukit.errors import AnnotationError

if TYPE_CHECKING:
    import pandas as pd

MODEL = "local:tfidf-logreg"
COLUMNS = [
    "item_id",
    "rater",
    "label",
    "value",
    "version",
    "model",
    "params",
    "confidence",
    "run_id",
]

# Settings recorded in every row's `params`, so that a result can be reproduced and its version
# changes whenever the recipe does.
_TFIDF = {"lowercase": True, "ngram_range": [1, 2], "min_df": 1, "sublinear_tf": True}
_LOGREG = {"C": 1.0, "class_weight": "balanced", "max_iter": 1000, "solver": "lbfgs"}


class SpacyTokenizer:
    """spaCy's rule-based English tokenizer (`spacy.blank("en")`: no model download).

    Results are memoised: every label's pipeline tokenizes the same texts again.
    """

    def __init__(self) -> None:
        import spacy

        self._tokenizer = spacy.blank("en").tokenizer
        self._cache: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        tokens = self._cache.get(text)
        if tokens is None:
            tokens = [t.lower_ for t in self._tokenizer(text) if not t.is_space]
            self._cache[text] = tokens
        return tokens


def train_and_annotate(
    items: pd.DataFrame,
    train: pd.DataFrame,
    *,
    train_rater: str,
    text_col: str = "text",
    labels: list[str] | None = None,
    rater: str = MODEL,
    train_items: pd.DataFrame | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Train one TF-IDF + logistic regression per label on `train_rater`'s labels; annotate `items`.

    `items` has `item_id` and `text_col`; `train` is a long annotation table whose `train_rater`
    rows are the training labels, joined by `item_id` to the texts of `train_items` (or of `items`).
    Binary labels (values 0/1) are predicted as 0/1, others as class names. Items that are training
    items are left out (no train/test leakage): `result.attrs["excluded_train_items"]` counts them.
    Returns the long table with provenance columns `model`, `params`, `confidence` (probability of
    the chosen value) and `run_id`; `version` is a short hash of the training data and settings.
    """
    import numpy as np
    import pandas as pd

    _require(items, ["item_id", text_col], "items")
    _require(train, ["item_id", "rater", "label", "value"], "training annotations")
    source = items if train_items is None else train_items
    _require(source, ["item_id", text_col], "training items")

    texts = _texts(source, text_col)
    rows = train[train["rater"].astype(str) == str(train_rater)].copy()
    if rows.empty:
        raters = ", ".join(sorted(map(str, train["rater"].dropna().unique()))) or "none"
        raise AnnotationError(
            f"no training labels from rater {train_rater!r} (raters present: {raters})"
        )
    rows["item_id"] = rows["item_id"].astype(str)
    rows = rows[rows["value"].notna()]
    present = list(dict.fromkeys(rows["label"].astype(str)))
    if labels is None:
        labels = present
    missing = [lab for lab in labels if lab not in present]
    if missing:
        raise AnnotationError(
            f"rater {train_rater!r} has no training labels for {', '.join(map(repr, missing))}"
        )

    rows = rows[rows["item_id"].isin(texts.index)]
    if rows.empty:
        raise AnnotationError(
            f"none of rater {train_rater!r}'s training items has a text in column {text_col!r}"
        )
    train_ids = set(rows["item_id"])

    targets = _texts(items, text_col)
    excluded = int(targets.index.isin(train_ids).sum())
    targets = targets[~targets.index.isin(train_ids)]

    version = _version(rows, texts, labels, train_rater, seed)
    params = json.dumps(
        {
            "train_rater": str(train_rater),
            "seed": seed,
            "tokenizer": "spacy.blank('en')",
            "tfidf": _TFIDF,
            "logreg": _LOGREG,
            "n_train_items": len(train_ids),
        },
        sort_keys=True,
    )
    run_id = f"local-{version}"

    frames = []
    tokenizer = SpacyTokenizer()
    for label in labels:
        sub = rows[rows["label"].astype(str) == label]
        y, binary = _targets(sub["value"], label, train_rater)
        if targets.empty:
            continue
        pipeline = _pipeline(seed, tokenizer)
        pipeline.fit(texts.loc[sub["item_id"]].tolist(), y)
        proba = pipeline.predict_proba(targets.tolist())
        best = proba.argmax(axis=1)
        classes = pipeline.classes_
        values = [int(classes[i]) if binary else str(classes[i]) for i in best]
        frames.append(
            pd.DataFrame(
                {
                    "item_id": targets.index,
                    "label": label,
                    "value": pd.Series(values, dtype=object),
                    "confidence": np.round(proba[np.arange(len(best)), best], 6),
                    "_order": np.arange(len(targets)),
                }
            )
        )

    if frames:
        out = pd.concat(frames, ignore_index=True)
        label_rank = {lab: i for i, lab in enumerate(labels)}
        out["_label"] = out["label"].map(label_rank)
        out = out.sort_values(["_order", "_label"], kind="stable").drop(
            columns=["_order", "_label"]
        )
    else:
        out = pd.DataFrame({"item_id": [], "label": [], "value": [], "confidence": []})
    out = out.assign(rater=rater, version=version, model=MODEL, params=params, run_id=run_id)
    out = out[COLUMNS].reset_index(drop=True)
    out.attrs["excluded_train_items"] = excluded
    out.attrs["n_train_items"] = len(train_ids)
    out.attrs["note"] = (
        f"trained on {len(train_ids)} items labelled by {train_rater}; "
        f"{excluded} training items were not annotated (no train/test leakage)"
    )
    return out


def _require(df: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise AnnotationError(f"{what} lack column(s) {', '.join(map(repr, missing))}")


def _texts(df: pd.DataFrame, text_col: str) -> pd.Series:
    """Texts indexed by string item id (first occurrence wins; missing texts become '')."""
    s = df[text_col].fillna("").astype(str)
    s.index = df["item_id"].astype(str)
    return s[~s.index.duplicated()]


def _targets(values: pd.Series, label: str, train_rater: str) -> tuple[Any, bool]:
    """Training targets: ints for 0/1 labels, strings for class names; one class is an error."""
    import pandas as pd

    numeric = pd.to_numeric(values, errors="coerce")
    binary = bool(numeric.notna().all() and numeric.isin([0, 1]).all())
    y = numeric.astype(int).to_numpy() if binary else values.astype(str).to_numpy()
    classes = sorted(set(y.tolist()))
    if len(classes) < 2:
        raise AnnotationError(
            f"label {label!r}: rater {train_rater!r}'s training labels have a single class "
            f"({classes[0]!r}, {len(y)} items); the baseline needs at least two classes to learn"
        )
    return y, binary


def _pipeline(seed: int, tokenizer: SpacyTokenizer) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    tfidf = dict(_TFIDF, ngram_range=tuple(_TFIDF["ngram_range"]))
    return make_pipeline(
        TfidfVectorizer(tokenizer=tokenizer, token_pattern=None, **tfidf),
        LogisticRegression(random_state=seed, **_LOGREG),
    )


def _version(
    rows: pd.DataFrame, texts: pd.Series, labels: list[str], train_rater: str, seed: int
) -> str:
    """Short hash of the training data (ids, texts, labels, values) and the recipe."""
    h = hashlib.sha256()
    data = rows[rows["label"].astype(str).isin(labels)][["item_id", "label", "value"]].astype(str)
    for item_id, label, value in sorted(data.itertuples(index=False, name=None)):
        h.update(f"{item_id}\x1f{label}\x1f{value}\x1f{texts[item_id]}\x1e".encode())
    recipe = {"model": MODEL, "tfidf": _TFIDF, "logreg": _LOGREG, "seed": seed, "labels": labels}
    h.update(json.dumps(recipe, sort_keys=True).encode())
    h.update(str(train_rater).encode())
    return h.hexdigest()[:12]
