"""The report's funnel plots (issue 25): a chart per funnel, LAs outside 99.8% named and listed first, --publish withholds."""

from __future__ import annotations

from pathlib import Path

import lxml.html

from .conftest import run_cli
from .test_anomalies import write_funnel_release

CAMDEN = "Camden (E09000007)"


def _funnel_report(tmp_path: Path, publish: bool = False, small_first: bool = False) -> lxml.html.HtmlElement:
    """tests/test_anomalies.py's 40 LAs (Camden at three times; the first LA 3 if asked), as an HTML report."""
    write_funnel_release(tmp_path, small_first=small_first)
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--html", str(tmp_path / "r.html"),
                     *(["--publish"] if publish else []))  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return lxml.html.fromstring((tmp_path / "r.html").read_bytes())


def _section(page: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    sections = page.xpath("//section[@aria-labelledby='funnels']")
    assert len(sections) == 1
    return sections[0]


def _rows(section: lxml.html.HtmlElement) -> list[list[str]]:
    return [[cell.text_content().strip() for cell in row.xpath("th|td")] for row in section.xpath(".//table/tbody/tr")]


def _points(section: lxml.html.HtmlElement) -> int:
    """The LAs drawn: matplotlib writes each scatter's marks as `use` elements in a PathCollection group (the
    legend's samples are in the legend's group)."""
    found = ".//figure//svg//*[starts-with(@id, 'PathCollection_')][not(ancestor::*[starts-with(@id, 'legend_')])]//use"
    return len(section.xpath(found))


def test_a_funnel_plot_names_camden_and_lists_it_first(tmp_path: Path) -> None:
    page = _funnel_report(tmp_path)
    section = _section(page)
    assert section.xpath(".//h2")[0].text_content() == "Funnel plots"
    assert page.xpath("//nav//a[@href='#funnels']")
    charts = section.xpath(".//figure//svg")
    assert len(charts) == 1
    labels = [t.text_content() for t in charts[0].iter("text")]
    assert CAMDEN in labels  # named beside its point
    assert sum(1 for label in labels if "(E0" in label) == 1  # the only LA outside 99.8%
    caption = section.xpath(".//figcaption")[0].text_content()
    assert "Spiegelhalter" in caption and "2005" in caption and "Poisson" in caption
    rows = _rows(section)
    assert len(rows) == 40 and _points(section) == 40
    header = [cell.text_content() for cell in section.xpath(".//thead//th")]
    assert header == ["Local authority", "Count", "Population", "Rate per 100,000", "95% limits", "99.8% limits", "Outside"]
    assert rows[0][0] == CAMDEN and rows[0][-1] == "outside 99.8%" and rows[0][1] == "108"
    assert all(row[-1] != "outside 99.8%" for row in rows[1:])
    assert all(" to " in row[4] and " to " in row[5] for row in rows)
    aria = section.xpath(".//figure/div[@role='img']/@aria-label")[0]
    assert CAMDEN in aria and "99.8%" in aria


def test_a_published_report_leaves_out_a_funnel_with_a_withheld_la(tmp_path: Path) -> None:
    """Its centre and limits come from every LA's count: with one withheld, the funnel could give it back."""
    plain = _rows(_section(_funnel_report(tmp_path, small_first=True)))
    small = next(row for row in plain if row[1] == "3")
    assert small[-1].startswith("outside")  # shown to the data team: 3 where about 30 are expected
    page = _funnel_report(tmp_path, publish=True, small_first=True)
    assert page.xpath("//section[@aria-labelledby='funnels']") == []
    published = _funnel_report(tmp_path, publish=True)  # no small LA: the funnel is shown as for the data team
    assert _points(_section(published)) == 40
