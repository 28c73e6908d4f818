"""Issue 21 item 5: every figure once. A rate is rounded once, from its unrounded value, so the Markdown, console,
HTML and JSON show the same digits (3,687 / 11,761,656 x 100,000 = 31.348 is 31.3, never 31.35 and then 31.4);
rounding intervals apply to counts, never to rates or ratios."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from triangulate.domain.cells import cell_bounds, read_cells
from triangulate.domain.intervals import Interval

from .conftest import run_cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "published"


def test_a_rate_is_rounded_once() -> None:
    from triangulate.model.rates import shown
    from triangulate.reports.wording import rate_ci_text, rate_number, rate_per_text, ratio_text

    rate = 3687 / 11761656 * 100000  # 31.3482...
    assert rate_number(rate) == "31.3" and shown(rate, 1) == 31.3
    assert rate_per_text(Interval.exact(rate), 100000) == "31.3 per 100,000"
    assert rate_ci_text((30.349, 32.351)) == "95% CI 30.3 to 32.4"
    assert rate_per_text(Interval(875 / 388490 * 1e5, 884 / 388490 * 1e5), 100000) == "225.2 to 227.5 per 100,000"
    assert ratio_text(Interval.exact(7.2349), (6.705, None)) == "7.23 (95% CI 6.71 to unbounded)"


def test_the_worked_example_shows_the_same_digits_in_every_output(tmp_path: Path) -> None:
    result = run_cli("reconcile", "--config", str(EXAMPLES / "release.yaml"), "--json", str(tmp_path / "r.json"),
                     "--html", str(tmp_path / "r.html"), "--summary-md", str(tmp_path / "r.md"))  # fmt: skip
    assert result.returncode == 1, result.stderr  # the looked-after discrepancy
    document = json.loads((tmp_path / "r.json").read_text())
    rates = {r["source"]: r for r in document["rates"]}
    assert rates["all_deaths"]["rate"] == [31.3, 31.3] and rates["all_deaths"]["rate_ci"] == [30.3, 32.4]
    assert rates["cin_deaths"]["rate"] == [226.5, 226.5] and rates["cin_deaths"]["rate_ci"] == [211.8, 242.0]
    (contrast,) = document["contrasts"]
    assert contrast["rate_ratio"] == [7.23, 7.23] and contrast["rate_ratio_ci"] == [6.71, 7.78]
    markdown = (tmp_path / "r.md").read_text()
    html = (tmp_path / "r.html").read_text()
    for text in (markdown, html):
        assert "31.3 per 100,000" in text and "226.5 per 100,000" in text
        assert not re.search(r"31\.4\b|31\.35\b|226\.52\b", text)
        assert "7.23" in text and not re.search(r"\b7\.2 times", text)
    assert "30.3 to 32.4" in markdown and "95% CI 30.3 to 32.4" in html
    assert "7.23 times the rate (95% CI 6.71 to 7.78)" in html
    assert "= 7.23 (95% CI 6.71 to 7.78)" in result.stdout


def test_the_label_says_which_population(tmp_path: Path) -> None:
    """Every denominator was labelled a mid-year, even the number of children in need."""
    run_cli("reconcile", "--config", str(EXAMPLES / "release.yaml"), "--summary-md", str(tmp_path / "r.md"),
            "--html", str(tmp_path / "r.html"))  # fmt: skip
    markdown = (tmp_path / "r.md").read_text()
    assert "388,490 (children in need during 2022)" in markdown and "11,761,656 (mid-2022 estimate)" in markdown
    html = (tmp_path / "r.html").read_text()
    assert "388,490 (children in need during 2022)" in html and "11,761,656 (mid-2022 estimate)" in html


def test_rounding_intervals_apply_to_counts_never_to_rates() -> None:
    bases = pd.Series([10, 10])
    counts = read_cells(pd.Series(["70", "83840"], name="number"), whole=True)
    assert [list(bound) for bound in cell_bounds(counts, bases, count=True)] == [[65, 83835], [74, 83844]]
    rates = read_cells(pd.Series(["70", "150"], name="rate_per_10000"), whole=False)
    assert [list(bound) for bound in cell_bounds(rates, bases)] == [[70, 150], [70, 150]]
    assert [list(bound) for bound in cell_bounds(read_cells(pd.Series(["70", "150"]), whole=False), bases, rate=True)] == [[70, 150], [70, 150]]
    decimals = read_cells(pd.Series(["70", "65.5"], name="x"), whole=False)  # a column with a decimal holds no counts
    assert cell_bounds(decimals, bases)[0].tolist() == [70, 65.5]


def test_a_revised_rate_in_a_table_rounded_to_10_is_not_a_rounding_interval(tmp_path: Path) -> None:
    head = "time_period,time_identifier,geographic_level,country_code,cla_group,number,rate_per_10000\n"
    (tmp_path / "old.csv").write_text(head + "2023,Reporting year,National,E92000001,Looked after,83840,70\n")
    (tmp_path / "new.csv").write_text(head + "2023,Reporting year,National,E92000001,Looked after,83760,71\n")
    (tmp_path / "rev.yaml").write_text("rounding: {national: 10, regional: 10, local authority: 1}\n")
    run_cli("revisions", str(tmp_path / "old.csv"), str(tmp_path / "new.csv"), "--config", str(tmp_path / "rev.yaml"),
            "--json", str(tmp_path / "r.json"))  # fmt: skip
    cells = {c["indicator"]: c for c in json.loads((tmp_path / "r.json").read_text())["cells"]}
    assert cells["number"]["old_interval"] == [83835, 83844]  # a count rounded to 10
    assert cells["rate_per_10000"]["old_interval"] == [70, 70] and cells["rate_per_10000"]["new_interval"] == [71, 71]
