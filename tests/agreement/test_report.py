"""Reports: Markdown tables, a self-contained HTML file that renders in headless Chromium."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from edukit.agreement.compare import compare
from edukit.report import markdown, sha256, write_html, write_markdown

H1 = [1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]
H2 = [1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0]
M = [1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1]
MOVES = {
    "H1": ["probe", "focus", "telling", "probe", "generic", "focus", "probe", "telling"],
    "H2": ["probe", "focus", "telling", "focus", "generic", "focus", "probe", "probe"],
    "M": ["probe", "telling", "telling", "probe", "generic", "focus", "focus", "telling"],
}


def _long() -> pd.DataFrame:
    rows = []
    for j, label in enumerate(["confusion", "gratitude", "setup"]):
        for rater, values in {"H1": H1, "H2": H2, "M": M}.items():
            shifted = values[j:] + values[:j]  # three labels with different agreement
            rows += [(f"c{i}", rater, label, v) for i, v in enumerate(shifted)]
    for rater, values in MOVES.items():
        rows += [(f"u{i}", rater, "move", v) for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"])


@pytest.fixture(scope="module")
def comparison():
    return compare(_long(), ["H1", "H2"], ["M"], n_boot=100, seed=0)


@pytest.fixture
def report(tmp_path, comparison):
    data = tmp_path / "ann.csv"
    _long().to_csv(data, index=False)
    path = write_html(
        comparison, tmp_path / "report.html", command="edukit agree ann.csv", inputs=[data]
    )
    return path, data


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.images, self.links, self._in = {}, [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._in = a.get("id")
            self.tables[self._in] = 0
        elif tag == "tr" and self._in:
            self.tables[self._in] += 1
        elif tag == "img":
            self.images.append(a["src"])
        elif tag in ("link", "script") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src"))

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = None


def test_html_is_self_contained_with_every_table_and_plot(report):
    path, data = report
    html = path.read_text()
    p = _Collect()
    p.feed(html)
    # header + one row per label / pair / binary label / (class, human) of `move` / input
    assert p.tables == {
        "table3": 5,
        "pairs": 9,
        "counts": 4,
        "classification": 3,
        "per-class": 9,
        "inputs": 2,
    }
    assert not p.links  # nothing fetched from the network
    # scatter, counts and one confusion matrix per human for the multi-class label
    assert len(p.images) == 4
    for src in p.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "edukit agree ann.csv" in html
    assert sha256(data) in html
    assert "chance terms use the declared domain, else the categories of the raters" in html
    assert "move: text, unordered [" in html
    # the verdict rule is stated, and the difference column shows its interval
    assert "yes when the lower end is &gt;= -0.1" in html
    diff = comparison_diff(path)
    assert re.fullmatch(r"-?\d\.\d\d \[-?\d\.\d\d, -?\d\.\d\d\]", diff), diff


def comparison_diff(path: Path) -> str:
    """The 'difference (M)' cell of the first row of the Table 3-style table."""
    html = path.read_text()
    table = html.split('<table id="table3">', 1)[1].split("</table>", 1)[0]
    heads = re.findall(r"<th>(.*?)</th>", table)
    cells = re.findall(r"<td>(.*?)</td>", table.split("<tbody>", 1)[1].split("</tr>", 1)[0])
    return cells[heads.index("difference (M)")]


def test_markdown_tables(comparison, tmp_path):
    text = markdown(comparison, command="edukit agree x.csv")
    table = next(ln for ln in text.splitlines() if ln.startswith("| confusion |"))
    hh = comparison.labels["confusion"].human_human
    assert f"{hh.value:.2f} [{hh.ci[0]:.2f}, {hh.ci[1]:.2f}]" in table
    assert "| move | 8 |" in text
    assert "### Per-class precision, recall and F1" in text
    assert "Pearson r =" in text and "rests on 4 points" in text
    assert "chance terms use the declared domain, else the categories of the raters" in text
    assert "yes when the lower end is >= -0.1" in text
    assert "### Accuracy and macro-F1 (multi-class labels)" in text
    assert "### Confusion matrices" in text
    out = write_markdown(comparison, tmp_path / "t.md")
    assert out.read_text().startswith("## Agreement: Cohen's kappa")


@pytest.mark.browser
def test_report_renders_in_headless_chromium(report, render_in_chromium):
    """Every table has its rows and every embedded PNG decodes (naturalWidth > 0) in Chromium."""
    path, _ = report
    result = render_in_chromium(path)
    assert result["imgs"] == [True, True, True, True]
    assert result["rows"] == {
        "table3": 5,
        "pairs": 9,
        "counts": 4,
        "classification": 3,
        "per-class": 9,
        "inputs": 2,
    }


@pytest.mark.browser
@pytest.mark.shared
def test_real_sight_report_renders_in_headless_chromium(shared_data, tmp_path, render_in_chromium):
    from edukit.annotations import read_annotations

    sight = shared_data / "sight"
    data = sight / "annotations" / "sample_dataset.csv"
    ann = read_annotations(data, prompts=sight / "prompts" / "bin_zeroshot")
    c = compare(ann, ["H1", "H2"], ["openaichat"], n_boot=50, seed=0)
    path = write_html(c, tmp_path / "sight.html", command="edukit agree ...", inputs=[data])
    result = render_in_chromium(path)
    # scatter + positive-count bars (all nine labels are binary: no confusion matrices)
    assert result["imgs"] == [True, True]
    assert result["rows"] == {"table3": 10, "pairs": 19, "counts": 10, "inputs": 2}
    assert "n/a%" not in path.read_text()


@pytest.mark.parametrize(("value", "cell"), [(0, "0 / 4 (0.0%)"), (1, "4 / 4 (100.0%)")])
def test_count_rows_for_all_negative_and_all_positive_labels(value, cell):
    from edukit.report import count_rows

    rows = [(f"c{i}", r, "rare", value) for r in ("H1", "H2", "M") for i in range(4)]
    c = compare(pd.DataFrame(rows, columns=["item_id", "rater", "label", "value"]),
                ["H1", "H2"], ["M"], n_boot=0)  # fmt: skip
    header, body = count_rows(c)
    assert header == ["label", "H1", "H2", "M"]
    assert body == [["rare", cell, cell, cell]]
    assert f"| rare | {cell} | {cell} | {cell} |" in markdown(c)


def test_per_class_rows_show_each_class_of_each_pair(comparison):
    # The scores themselves are checked against scikit-learn in test_compare.
    from edukit.report import fmt, per_class_rows

    header, rows = per_class_rows(comparison)
    cm = comparison.labels["move"].confusion
    ((model, per),) = cm.items()
    for human, c in per.items():
        mine = [r for r in rows if r[1] == model and r[2] == human]
        assert [r[3] for r in mine] == c["labels"]
        for r in mine:
            sc = c["per_class"][r[3]]
            assert r[4:] == [
                fmt(sc["precision"]),
                fmt(sc["recall"]),
                fmt(sc["f1"]),
                str(sc["support"]),
            ]
    assert header[-4:] == ["precision", "recall", "F1", "support"]
    assert len(rows) == sum(len(c["labels"]) for c in per.values())


def test_no_bootstrap_and_single_human_wording(tmp_path):
    from edukit.agreement.compare import compare

    df = _long()
    one = compare(df[df["rater"] != "H2"], ["H1"], ["M"], n_boot=0)
    html = write_html(one, tmp_path / "one.html")
    text = html.read_text()
    assert "no bootstrap intervals (--n-boot 0)" in text
    assert 'id="scatter"' not in text  # no label has a human-human value to plot
    table = text.split('<table id="table3">', 1)[1].split("</table>", 1)[0]
    n_cells = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td>", table)
    assert n_cells and all(int(n) > 0 for n in n_cells)  # the items the model was scored on
