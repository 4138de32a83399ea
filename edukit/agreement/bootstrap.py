"""Bootstrap confidence intervals over items (or whole groups of items), seeded and vectorised.

One `Resampler` draws the resamples once (from its seed) and every statistic of a label is
computed on the same resamples, so differences between coefficients are paired. Resampling whole
groups (dialogues, videos) is the cluster bootstrap: comments and utterances nested in one video
are not independent.

Speed: a resample is a vector of multiplicities per group, so a two-rater contingency table of
every resample is one matrix product (resamples x groups) @ (groups x k*k). Cohen's kappa, percent
agreement, Gwet's AC1 and specific agreement are then evaluated on all tables at once
(`table_statistic`); these vectorised forms are tested equal to `edukit.agreement.coefficients`.
Any other statistic is evaluated resample by resample on the resampled rows (`Resampler.apply`).
Intervals are percentile intervals; resamples where a statistic is undefined are left out and
counted (`n_undefined`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_N_BOOT = 1000
_CHUNK_CELLS = 4_000_000  # resamples x groups per chunk: bounds memory for large corpora


@dataclass(frozen=True)
class Estimate:
    """A coefficient with its bootstrap interval and the number of items it used."""

    value: float
    ci: tuple[float, float] | None
    n: int
    reason: str | None = None
    n_undefined: int = 0  # resamples where the statistic was undefined

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": _num(self.value),
            "ci": [_num(self.ci[0]), _num(self.ci[1])] if self.ci is not None else None,
            "n": int(self.n),
        }
        if self.reason:
            out["reason"] = self.reason
        if self.n_undefined:
            out["n_undefined_resamples"] = int(self.n_undefined)
        return out


def _num(x: float) -> float | None:
    x = float(x)
    return None if x != x else x + 0.0  # + 0.0: never -0.0


def group_index(
    items: Sequence[str], groups: Mapping[str, Any] | pd.Series | None = None
) -> tuple[np.ndarray, int]:
    """Group number of each item (every item its own group when `groups` is None)."""
    import numpy as np

    n = len(items)
    if groups is None:
        return np.arange(n), n
    keys = [groups.get(str(i), groups.get(i)) if hasattr(groups, "get") else None for i in items]
    missing = [i for i, k in zip(items, keys, strict=True) if k is None or k != k]
    if missing:
        from edukit.errors import AgreementError

        raise AgreementError(
            f"no group for {len(missing)} item(s), e.g. {missing[0]!r}: give every item a group"
        )
    uniq = {k: j for j, k in enumerate(dict.fromkeys(keys))}
    return np.array([uniq[k] for k in keys], dtype=np.int64), len(uniq)


class Resampler:
    """Seeded bootstrap resamples of `n_items` items, optionally by groups (cluster bootstrap)."""

    def __init__(
        self,
        gidx: np.ndarray,
        n_groups: int,
        n_boot: int = DEFAULT_N_BOOT,
        seed: int = 0,
    ) -> None:
        import numpy as np

        self.gidx = np.asarray(gidx, dtype=np.int64)
        self.n_groups = int(n_groups)
        self.n_boot = int(n_boot)
        self.seed = seed
        self.identity = self.n_groups == len(self.gidx) and bool(
            np.array_equal(self.gidx, np.arange(len(self.gidx)))
        )
        order = np.argsort(self.gidx, kind="stable")
        sizes = np.bincount(self.gidx, minlength=self.n_groups)
        self._order, self._sizes = order, sizes
        self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self._cache: list[np.ndarray] | None = None

    def counts(self) -> Iterator[np.ndarray]:
        """Multiplicity of each group in each resample, in chunks (same draws on every call).

        Small problems keep the draws (as floats, ready for the table products); large ones
        redraw them from the seed on every call to bound memory.
        """
        if self._cache is not None:
            yield from self._cache
            return
        chunks = []
        for c in self._draw():
            chunks.append(c.astype(float))
            yield chunks[-1]
        if self.n_boot * max(self.n_groups, 1) <= _CHUNK_CELLS:
            self._cache = chunks

    def _draw(self) -> Iterator[np.ndarray]:
        import numpy as np

        rng = np.random.default_rng(self.seed)
        g = max(self.n_groups, 1)
        chunk = max(1, min(self.n_boot, _CHUNK_CELLS // g))
        done = 0
        while done < self.n_boot:
            b = min(chunk, self.n_boot - done)
            draws = rng.integers(0, g, size=(b, g))
            offsets = (np.arange(b) * g)[:, None]
            yield np.bincount((draws + offsets).ravel(), minlength=b * g).reshape(b, g)
            done += b

    def tables(self, per_group: np.ndarray) -> np.ndarray:
        """Resampled sums of per-group tables: (groups x ...) -> (n_boot x ...)."""
        import numpy as np

        flat = np.ascontiguousarray(per_group.reshape(self.n_groups, -1).T, dtype=np.float64)
        out = np.concatenate([(flat @ c.T).T for c in self.counts()]) if self.n_boot else flat.T[:0]
        return out.reshape((self.n_boot, *per_group.shape[1:]))

    def rows(self) -> Iterator[np.ndarray]:
        """Item (row) indices of each resample."""
        import numpy as np

        for chunk in self.counts():
            for c in chunk:
                c = c.astype(np.int64)
                if self.identity:
                    yield np.repeat(np.arange(self.n_groups), c)
                else:
                    chosen = np.repeat(np.arange(self.n_groups), c)
                    yield (
                        np.concatenate(
                            [
                                self._order[self._starts[g] : self._starts[g] + self._sizes[g]]
                                for g in chosen
                            ]
                        )
                        if len(chosen)
                        else np.arange(0)
                    )

    def apply(self, statistic: Callable[[np.ndarray], float]) -> np.ndarray:
        """`statistic(row_indices)` on every resample (the generic, slower path)."""
        import numpy as np

        return np.array([statistic(idx) for idx in self.rows()], dtype=float)


def percentile_ci(
    samples: np.ndarray, level: float = 0.95
) -> tuple[tuple[float, float] | None, int]:
    """Percentile interval of the defined resamples and how many were undefined."""
    import numpy as np

    samples = np.asarray(samples, dtype=float)
    ok = samples[np.isfinite(samples)]
    undefined = int(samples.size - ok.size)
    if ok.size == 0:
        return None, undefined
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(ok, [tail, 100 - tail])
    return (float(lo), float(hi)), undefined


def pair_table(a: np.ndarray, b: np.ndarray, gidx: np.ndarray, n_groups: int, k: int) -> np.ndarray:
    """Per-group k x k contingency tables of two raters' codes (items where both rated)."""
    import numpy as np

    both = np.isfinite(a) & np.isfinite(b)
    cell = gidx[both] * k * k + a[both].astype(np.int64) * k + b[both].astype(np.int64)
    return np.bincount(cell, minlength=n_groups * k * k).reshape(n_groups, k, k)


def table_statistic(
    metric: str,
    k: int,
    weights: str | None = None,
    positive: int | None = None,
    positions: Sequence[float] | None = None,
    q: int | None = None,
) -> Callable[[np.ndarray], np.ndarray] | None:
    """Vectorised two-rater statistic over (n x k x k) tables, or None if there is none.

    metric: "cohen" (weights from `positions`, the category values; ranks when None), "percent",
    "ac1" (unweighted; `q` categories in the chance term, default k), "pos"/"neg" (specific
    agreement, binary: `positive` is the code of the positive category).
    """
    import numpy as np

    def safe(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = num / den
        return np.where(den > 1e-12, out, np.nan)

    diag = np.eye(k, dtype=bool)
    if metric == "cohen":
        from edukit.agreement.coefficients import weighted_kappa_tables

        x = np.arange(k, dtype=float) if positions is None else np.asarray(positions, dtype=float)
        return lambda t: weighted_kappa_tables(t, x, weights)
    if metric == "percent" and weights is None:
        return lambda t: safe(t[:, diag].sum(1), t.sum(axis=(1, 2)))
    if metric == "ac1" and weights is None:
        qq = k if q is None else q

        def ac1(t: np.ndarray) -> np.ndarray:
            n = t.sum(axis=(1, 2))
            pa = safe(t[:, diag].sum(1), n)
            pi = safe(t.sum(2) + t.sum(1), 2 * n[:, None])
            pe = (pi * (1 - pi)).sum(1) / (qq - 1) if qq > 1 else np.full(len(t), np.nan)
            return safe(pa - pe, 1 - pe)

        return ac1
    if metric in ("pos", "neg") and k == 2 and positive is not None:
        i = positive if metric == "pos" else 1 - positive

        def specific(t: np.ndarray) -> np.ndarray:
            both = t[:, i, i]
            return safe(2 * both, 2 * both + t[:, i, 1 - i] + t[:, 1 - i, i])

        return specific
    return None
