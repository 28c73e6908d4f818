"""The report's "Unusual series" (issue 25, part 4): a small panel per series whose latest point is outside its band,
an accessible table with the same figures, --publish leaving out a series that holds a withheld figure."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
from triangulate.domain.geography import ENGLAND
from triangulate.domain.intervals import Interval
from triangulate.model.anomalies import ABOVE, Anomaly, PastPoint
from triangulate.model.reconciliation import ReconcileResult
from triangulate.reports.disclosure import Disclosure
from triangulate.reports.series_view import PANELS, unusual_view

from .conftest import run_cli
from .test_anomalies import HEADER, _rows

CAMDEN, HACKNEY = "Camden (E09000007)", "Hackney (E09000012)"
STABLE = ["50"] * 7
CAMDEN_JUMP = ["10", "12", "9", "11", "10", "11", "34"]  # 34 after about 10 a year: above its band
SECTION = re.compile(r'<section aria-labelledby="unusual">.*?</section>', re.S)


def _report(tmp_path: Path, table: str, *options: str, env: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """The HTML report (its text) and the JSON of one run of a DfE-shaped published table."""
    (tmp_path / "deaths.csv").write_text(table)
    (tmp_path / "run.yaml").write_text(
        "sources:\n  dfe: {kind: published, path: deaths.csv, rounding: none}\n"
        "geographies: [england, local_authority]\n"
        "measures:\n  - id: deaths\n    select:\n      dfe: {filter: {measure: Deaths}}\n"
    )
    result = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--html", str(tmp_path / "r.html"),
                     "--json", str(tmp_path / "r.json"), *options, env=env)  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    return (tmp_path / "r.html").read_text(encoding="utf-8"), json.loads((tmp_path / "r.json").read_text())


def _section(html: str) -> lxml.html.HtmlElement | None:
    found = lxml.html.fromstring(html).xpath("//section[@aria-labelledby='unusual']")
    assert len(found) <= 1
    return found[0] if found else None


def _rows_of(section: lxml.html.HtmlElement) -> list[dict[str, str]]:
    header = [cell.text_content() for cell in section.xpath(".//table/thead//th")]
    return [dict(zip(header, (cell.text_content().strip() for cell in row.xpath("th|td")), strict=True))
            for row in section.xpath(".//table/tbody/tr")]  # fmt: skip


def _panel_titles(section: lxml.html.HtmlElement) -> list[str]:
    """The panels drawn: matplotlib writes each axes as a group `axes_N`; its title is the text naming a source."""
    return [text.text_content() for text in section.xpath(".//figure//svg//text") if ", dfe" in text.text_content()]


def _by_place(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["geography"]: a for a in document["anomalies"]}


def test_a_planted_jump_gets_a_panel_and_a_row_with_its_band(tmp_path: Path) -> None:
    html, document = _report(tmp_path, _rows(STABLE, CAMDEN_JUMP, [""] * 7))
    section = _section(html)
    assert section is not None
    assert section.xpath("./h2")[0].text_content() == "Unusual series"
    assert lxml.html.fromstring(html).xpath("//nav//a[@href='#unusual']")
    assert _panel_titles(section) == [f"{CAMDEN}, dfe"]  # England is stable: inside its band, no panel
    assert len(section.xpath(".//figure//svg//*[starts-with(@id, 'axes_')]")) == 1
    [row] = _rows_of(section)
    camden = _by_place(document)["E09000007"]
    low, high = camden["band"]
    assert row["Place"] == CAMDEN and row["Source"] == "dfe" and row["Latest figure"] == "34" and row["Against its band"] == "above"
    assert row["Band"] == f"{low:,.0f} to {high:,.0f} (99.8%)" and high < 34
    assert row["Expected"] == f"{camden['expected']:,.1f}" and row["Past points used"] == "6"
    assert row["Past figures, oldest first"].split("; ")[0].endswith(": 10") and row["Past figures, oldest first"].count(";") == 5
    text = section.text_content()
    assert "Unusual, never wrong" in text and "quasi-poisson" in text and "Farrington" in text
    assert "series left out" not in text and "more (see the JSON" not in text
    alt = section.xpath(".//figure/div[@role='img']/@aria-label")[0]
    assert CAMDEN in alt and "above its band" in alt


def test_stable_series_give_no_section(tmp_path: Path) -> None:
    html, document = _report(tmp_path, _rows(STABLE, ["10", "12", "9", "11", "10", "11", "10"], [""] * 7))
    assert {a["status"] for a in document["anomalies"]} == {"inside"}
    assert _section(html) is None
    assert not lxml.html.fromstring(html).xpath("//nav//a[@href='#unusual']")


def test_publish_leaves_out_a_series_holding_a_small_count_and_shows_one_with_large_counts(tmp_path: Path) -> None:
    """Hackney's past is 1s and 2s, then 20: drawn, the 1s and 2s would be shown. Camden's and England's counts are
    large: still drawn; Camden's band withheld as the JSON withholds it below England, England's shown."""
    table = _rows(["50"] * 6 + ["90"], CAMDEN_JUMP, ["1", "2", "1", "2", "1", "2", "20"])
    plain = _section(_report(tmp_path, table)[0])
    assert plain is not None
    assert [row["Place"] for row in _rows_of(plain)] == [ENGLAND, CAMDEN, HACKNEY]  # the data team sees all three
    html, document = _report(tmp_path, table, "--publish")
    section = _section(html)
    assert section is not None
    rows = {row["Place"]: row for row in _rows_of(section)}
    assert set(rows) == {ENGLAND, CAMDEN}
    assert all(HACKNEY not in title for title in _panel_titles(section)) and len(_panel_titles(section)) == 2
    assert "Hackney" not in section.text_content()
    assert "1 series left out: it holds counts of 1 to 5" in " ".join(section.text_content().split())
    places = _by_place(document)
    assert places["E09000007"]["band"] == ["c", "c"] and rows[CAMDEN]["Band"] == "c" and rows[CAMDEN]["Expected"] == "c"
    low, high = places[ENGLAND]["band"]
    assert rows[ENGLAND]["Band"] == f"{low:,.0f} to {high:,.0f} (99.8%)"
    assert "1 series is drawn without its band" in " ".join(section.xpath(".//figcaption")[0].text_content().split())


def test_the_section_is_the_same_bytes_run_after_run_and_under_redact(tmp_path: Path) -> None:
    table = _rows(["50"] * 6 + ["90"], CAMDEN_JUMP, [""] * 7)
    first = SECTION.search(_report(tmp_path, table)[0])
    second = SECTION.search(_report(tmp_path, table)[0])
    redacted = SECTION.search(_report(tmp_path, table, "--redact", env={"TRIANGULATE_REDACT_KEY": "k" * 32})[0])
    assert first is not None and second is not None and redacted is not None
    assert "<svg" in first.group(0)
    assert first.group(0) == second.group(0) == redacted.group(0)


def test_the_section_is_well_formed_markup(tmp_path: Path) -> None:
    """Parsed as XML (stricter than a browser): every element closed, every attribute quoted, ids unique within it."""
    found = SECTION.search(_report(tmp_path, _rows(["50"] * 6 + ["90"], CAMDEN_JUMP, [""] * 7))[0])
    assert found is not None
    root = lxml.etree.fromstring(f'<page xmlns:xlink="http://www.w3.org/1999/xlink">{found.group(0)}</page>'.encode())
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    assert len(root.findall(".//table/tbody/tr")) == 2 and root.find(".//table/caption") is not None


def test_at_most_24_panels_then_the_rest_are_counted(tmp_path: Path) -> None:
    from triangulate.domain.geography import la_field

    codes = sorted(code for code in la_field("la_name") if code.startswith("E09"))[:30]
    rows = [HEADER]
    for year in range(2018, 2025):
        rows.append(f"{year},Reporting year,National,,,,,,Deaths,5000\n")
        for code in codes:
            number = 40 if year == 2024 else 10 + year % 3
            rows.append(f"{year},Reporting year,Local authority,E13000001,Inner London,,{code},LA,Deaths,{number}\n")
    html, document = _report(tmp_path, "".join(rows))
    assert sum(1 for a in document["anomalies"] if a["status"] == ABOVE) == 30
    section = _section(html)
    assert section is not None
    assert len(_rows_of(section)) == PANELS == len(_panel_titles(section))
    assert "And 6 more (see the JSON anomalies)." in section.text_content()


def _hand_made(past: tuple[PastPoint, ...]) -> ReconcileResult:
    found = Anomaly("deaths", "dfe", ENGLAND, "2023-04-01/2024-03-31", "2023-24", Interval.exact(90), ABOVE, 0.998, len(past),
                    "quasi-poisson", 50.0, (30.0, 72.0), past)  # fmt: skip
    return ReconcileResult(anomalies=(found,))


def test_a_rounded_past_figure_is_its_interval_and_one_from_an_earlier_release_is_said_so() -> None:
    years = [(f"{y}-04-01/{y + 1}-03-31", f"{y}-{(y + 1) % 100:02d}") for y in range(2017, 2023)]
    past = tuple(PastPoint(iso, label, Interval(45, 54) if n == 2 else Interval.exact(50), "2021-22 release" if n == 0 else None)
                 for n, (iso, label) in enumerate(years))  # fmt: skip
    view = unusual_view(_hand_made(past), {"deaths": "Deaths"}, Disclosure())
    assert view is not None and view.from_history and len(view.rows) == 1
    assert view.rows[0].past.startswith("2017-18: 50 (from release 2021-22 release); 2018-19: 50; 2019-20: 45 to 54;")
    assert "hollow: from an earlier release" in view.chart and "as its interval (rounded or suppressed)" in view.chart
    own = unusual_view(_hand_made(tuple(PastPoint(iso, label, Interval.exact(50)) for iso, label in years)), {}, Disclosure())
    assert own is not None and not own.from_history
    assert "earlier release" not in own.chart and "interval" not in own.chart  # the legend names only what is drawn
