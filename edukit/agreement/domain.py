"""The typed category domain of one label, decided once and stated in every output.

A label's domain is **numeric** when every value (and every declared category) parses as a finite
number: `3`, `3.0` and `" 3 "` are one category, categories are ordered by value and weights come
from the values. Otherwise it is **text**: unordered, unless an order is declared
(`--categories v1,v2,...` or a rubric's options, in file order), in which case weights use the
ranks 1..q. Order-dependent statistics (weighted kappa, AC2, ordinal/interval/ratio alpha) on
unordered text are refused with `AgreementError`; interval/ratio alpha needs numbers.

Which categories enter a chance term: the declared domain when there is one; otherwise the
categories used by the raters of that comparison (on the items it uses), so human-human agreement
never depends on which models sit beside the humans.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edukit.errors import AgreementError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NUMERIC, TEXT = "numeric", "text"


class _Blank:
    """Marker for a blank or NaN value given as a rating (not the same as 'not rated')."""


BLANK = _Blank()


def canonical(value: Any) -> Any:
    """One category per meaning: numbers (and numeric text) -> int or float, text -> stripped.

    Returns `BLANK` for empty text; raises nothing. `True`/`False` count as 1/0.
    """
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return BLANK
        return int(value) if value.is_integer() else value
    s = str(value).strip()
    if not s:
        return BLANK
    try:
        f = float(s)
    except ValueError:
        return s
    if not math.isfinite(f):
        return s if s.lower() not in ("nan", "+nan", "-nan") else BLANK
    return int(f) if f.is_integer() else f


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@dataclass(frozen=True)
class Domain:
    """Categories of one label: kind, order, and where they came from."""

    label: str
    kind: str  # "numeric" | "text"
    categories: tuple[Any, ...]  # canonical values, in order (by value when numeric)
    ordered: bool
    source: str  # "declared" | "rubric" | "observed"

    @property
    def q(self) -> int:
        return len(self.categories)

    @property
    def declared(self) -> bool:
        return self.source != "observed"

    def positions(self) -> np.ndarray | None:
        """Category values (numeric), ranks 1..q (declared text order) or None (unordered)."""
        import numpy as np

        if self.kind == NUMERIC:
            return np.asarray(self.categories, dtype=float)
        if self.ordered:
            return np.arange(1, self.q + 1, dtype=float)
        return None

    def require_order(self, what: str) -> None:
        """Refuse an order-dependent statistic on unordered text categories."""
        if self.kind == TEXT and not self.ordered:
            cats = ",".join(map(str, self.categories))
            raise AgreementError(
                f"label {self.label!r}: {what} needs ordered categories, but its values are "
                f"text with no declared order; declare it with --categories {cats} "
                "(in the right order), or use nominal statistics"
            )

    def require_numbers(self, what: str) -> None:
        if self.kind != NUMERIC:
            raise AgreementError(
                f"label {self.label!r}: {what} needs numeric values, got text "
                f"({', '.join(map(str, self.categories[:5]))}); use --level ordinal with "
                "--categories, or nominal"
            )

    def describe(self) -> str:
        """One line for reports: kind, order and source."""
        cats = ", ".join(map(str, self.categories))
        if self.kind == NUMERIC:
            order = "numeric, ordered by value"
        elif self.ordered:
            order = "text, ordered as declared"
        else:
            order = "text, unordered"
        src = {"declared": "--categories", "rubric": "the rubric", "observed": "observed values"}
        return f"{order} [{cats}] from {src.get(self.source, self.source)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ordered": self.ordered,
            "categories": list(self.categories),
            "source": self.source,
        }

    def codes(self, matrix: pd.DataFrame) -> np.ndarray:
        """Float codes 0..q-1 of an items x raters matrix (NaN = not rated)."""
        import numpy as np
        import pandas as pd

        lookup = {_key(c): i for i, c in enumerate(self.categories)}
        raw = matrix.to_numpy(dtype=object)
        flat = raw.ravel()
        # each distinct value is looked up once (long tables repeat a few values many times)
        uniq_codes, uniques = pd.factorize(pd.Series(flat, dtype=object), use_na_sentinel=True)
        mapped = np.full(len(uniques), np.nan)
        for j, v in enumerate(uniques):
            if _not_rated(v):
                continue
            c = canonical(v)
            code = lookup.get(_key(c if self.kind == NUMERIC else str(v).strip()))
            if code is None:
                code = lookup.get(_key(c))
            if code is None:
                at = int(np.flatnonzero(uniq_codes == j)[0])
                item, col = divmod(at, raw.shape[1])
                raise AgreementError(
                    f"label {self.label!r}: rater {matrix.columns[col]!r} gave {v!r} (item "
                    f"{matrix.index[item]!r}), not one of the categories "
                    f"{', '.join(map(str, self.categories))}"
                )
            mapped[j] = code
        out = np.full(flat.shape, np.nan)
        ok = uniq_codes >= 0
        out[ok] = mapped[uniq_codes[ok]]
        return out.reshape(raw.shape)


def _key(v: Any) -> Any:
    return ("n", float(v)) if is_number(v) else ("t", v)


def _not_rated(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def decide(
    matrix: pd.DataFrame,
    label: str,
    declared: Sequence[Any] | None = None,
    source: str = "declared",
) -> Domain:
    """The domain of `label` from the values of the raters in `matrix` plus a declared list.

    Raises `AgreementError` (naming the label, the rater and an example value) for a blank value,
    numbers mixed with words, or a declared list that misses an observed value or repeats one.
    """
    import numpy as np
    import pandas as pd

    observed: dict[Any, tuple[str, Any, Any]] = {}  # key -> (rater, raw example, canonical)
    raw = matrix.to_numpy(dtype=object)
    codes, uniques = pd.factorize(pd.Series(raw.ravel(), dtype=object), use_na_sentinel=True)
    for j, v in enumerate(uniques):
        if _not_rated(v):
            continue
        at = int(np.flatnonzero(codes == j)[0])
        item, col = divmod(at, raw.shape[1])
        rater = matrix.columns[col]
        c = canonical(v)
        if c is BLANK:
            raise AgreementError(
                f"label {label!r}: rater {rater!r} gave a blank value {v!r} for item "
                f"{matrix.index[item]!r}; remove the row or give a value"
            )
        observed.setdefault(_key(c), (rater, v, c))
    nums = [t for t in observed.values() if is_number(t[2])]
    words = [t for t in observed.values() if not is_number(t[2])]
    if declared is not None:
        return _declared(label, declared, source, observed, words)
    if nums and words:
        (r1, v1, _), (r2, v2, _) = nums[0], words[0]
        raise AgreementError(
            f"label {label!r} mixes numbers and words: rater {r1!r} gave {v1!r}, rater {r2!r} "
            f"gave {v2!r}; use one kind of value per label (or declare --categories)"
        )
    if words:
        cats = sorted({str(t[1]).strip() for t in words})
        return Domain(label, TEXT, tuple(cats), ordered=False, source="observed")
    return Domain(
        label, NUMERIC, tuple(sorted(t[2] for t in nums)), ordered=True, source="observed"
    )


def _declared(label, declared, source, observed, words) -> Domain:
    cats = [canonical(c) for c in declared]
    if any(c is BLANK for c in cats):
        raise AgreementError(f"label {label!r}: --categories holds an empty category")
    numeric = all(is_number(c) for c in cats)
    if numeric:
        keys = [_key(c) for c in cats]
    else:
        cats = [str(c).strip() for c in declared]
        keys = [_key(c) for c in cats]
    if len(set(keys)) != len(keys):
        raise AgreementError(f"label {label!r}: --categories repeats a category ({cats})")
    known = set(keys)
    for key, (rater, v, _c) in observed.items():
        k = key if numeric else _key(str(v).strip())
        if k not in known:
            raise AgreementError(
                f"label {label!r}: rater {rater!r} gave {v!r}, which is not among the declared "
                f"categories {', '.join(map(str, cats))}"
            )
    if numeric:
        return Domain(label, NUMERIC, tuple(sorted(cats)), ordered=True, source=source)
    return Domain(label, TEXT, tuple(cats), ordered=True, source=source)


def from_values(values: Sequence[Any], declared: Sequence[Any] | None = None) -> Domain:
    """The domain of a flat list of ratings (library helpers; NaN/None = not rated)."""
    import pandas as pd

    frame = pd.DataFrame({"rating": pd.Series(list(values), dtype=object)})
    return decide(frame, "ratings", declared)


def rubric_categories(rubric: Any) -> dict[str, list[Any]]:
    """Declared domains of a rubric's labels, in file order (`categories=` with source "rubric").

    A `single` rubric declares its target's classes (the labels, in file order); binary and
    multi rubrics declare each label's two long-table values (false's value first).
    """
    if rubric.task == "single":
        return {rubric.target or "label": list(rubric.labels)}
    out: dict[str, list[Any]] = {}
    for label in rubric.spec.labels:
        values = label.values or {False: 0, True: 1}
        out[label.name] = [values[False], values[True]]
    return out
