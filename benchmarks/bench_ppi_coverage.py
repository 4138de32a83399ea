"""Coverage of 95% intervals from model labels and a human-coded sample (issue 25).

Over simulated corpora with a biased model (sensitivity 0.75, false-positive rate 0.10, true
prevalence 0.20) and a simple random human sample, the share of intervals holding the truth and
their mean width, for the model only, the human-coded items only, and prediction-powered (PPI++).
The same for a regression slope whose covariate (a group rate) the model measures compressed.
Writes benchmarks/ppi_coverage.png.

Run: python benchmarks/bench_ppi_coverage.py [corpora=1000]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edukit.findings.simulate import CoverageSettings, prevalence_coverage, slope_coverage

    corpora = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    base = CoverageSettings(corpora=corpora)
    t0 = time.perf_counter()
    prev, slope = prevalence_coverage(base), slope_coverage(base)
    print(f"{corpora} corpora, {time.perf_counter() - t0:.1f} s")
    for name, res in (("prevalence", prev), ("slope", slope)):
        for m, c in res.items():
            print(f"{name:10s} {m:6s} coverage {c.covered:.3f}  mean width {c.width:.4f}")
    sizes = [100, 200, 400, 800]
    curve = {
        n: prevalence_coverage(replace(base, corpora=max(200, corpora // 4), n_coded=n))
        for n in sizes
    }
    for n, res in curve.items():
        print(
            f"n_coded {n:4d}: ppi coverage {res['ppi'].covered:.3f} width {res['ppi'].width:.4f}"
            f" | human {res['human'].covered:.3f} width {res['human'].width:.4f}"
        )
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    methods = ["model", "human", "ppi"]
    names = ["model only", "human only", "PPI++"]
    panels = (("prevalence", prev), ("regression slope", slope))
    for ax, (title, res) in zip(axes[:2], panels, strict=True):
        bars = ax.bar(names, [res[m].covered for m in methods], color=["C3", "C0", "C2"])
        ax.bar_label(bars, labels=[f"{res[m].covered:.1%}" for m in methods])
        ax.axhline(0.95, color="k", ls="--", lw=1)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{title}: coverage of 95% intervals")
    ax = axes[2]
    ax.plot(sizes, [curve[n]["human"].width for n in sizes], "o-", color="C0", label="human only")
    ax.plot(sizes, [curve[n]["ppi"].width for n in sizes], "o-", color="C2", label="PPI++")
    ax.set_xlabel("human-coded items")
    ax.set_ylabel("mean interval width (prevalence)")
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.minorticks_off()
    ax.legend()
    ax.grid(alpha=0.3)
    out = Path(__file__).with_name("ppi_coverage.png")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
