"""The report a data steward briefs from (issue 15): every source's headline, words for every number, bridges
that agree with the verdict, briefing-ready tables and charts, and nothing a disclosure withholds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import lxml.html
import pytest
from triangulate.domain.geography import ENGLAND
from triangulate.domain.intervals import Interval
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.reconciliation import Bridge, BridgeStep, Comparison, MatchedPair, ReconcileResult, SeriesPoint, Unmatched
from triangulate.model.release import Expectation, MeasureNote, Provenance, Release
from triangulate.reports.charts import source_styles, trend_svg
from triangulate.reports.disclosure import Cell, Disclosure
from triangulate.reports.facts import discrepancy_facts, explain_discrepancy
from triangulate.reports.grids import side_file_names
from triangulate.reports.html import render_report_files
from triangulate.reports.linkage_view import unmatched_view
from triangulate.reports.verdict import verdict
from triangulate.reports.view import build_report_view
from triangulate.reports.wording import count_words, counted, expectation_text, figure_text, linkage_cell

from .conftest import copy_of, run_cli

Y22, Y23 = "2021-04-01/2022-03-31", "2022-04-01/2023-03-31"
LABEL = {Y22: "2021-22", Y23: "2022-23"}
STEPS = ("unborn.death", "age.over_17", "age.negative")
REASON = "Every death of a looked-after child must be notified to the CSPRP, so the CSPRP should count at least as many."


def _point(source: str, period: str, value: float) -> SeriesPoint:
    return SeriesPoint("lac_deaths", source, period, LABEL[period], Interval.exact(value), Interval.exact(value))


def _bridge(source: str, period: str, headline: int, **removed: int) -> Bridge:
    steps = tuple(BridgeStep(step, f"minus {step}", removed.get(step.replace(".", "_"), 0), ()) for step in STEPS)
    return Bridge(source, "lac_deaths", period, LABEL[period], headline, steps, headline - sum(s.count for s in steps))


def _comparison(left: str, right: str, period: str, lv: float, rv: float, relation: str, status: str, **linkage: int) -> Comparison:
    return Comparison("lac_deaths", period, LABEL[period], ENGLAND, left, right, Interval.exact(lv), Interval.exact(rv), period, period,
                      Interval.exact(lv), Interval.exact(rv), Interval.exact(lv - rv), relation, {"abs": 0, "rel": 0}, status,
                      **linkage)  # fmt: skip


def _source(name: str, kind: str, failed: int = 0) -> SourceResult:
    outcomes = (CheckOutcome("age.negative", "error", "date of death is before date of birth", failed, ("X1",) * failed, (),
                             level="death"),)  # fmt: skip
    return SourceResult(name, kind, 100, 60, dt.date(2023, 3, 31), (InputFile(f"{name}.csv", 10, "0" * 64),), outcomes)


def release(*, discrepancy: bool = True) -> Release:
    """This year's SSDA903 return (one period) beside the NCMD and the CSPRP (two): csprp 48 against dfe_cla 49 in
    2022-23 when `discrepancy`, the one death short dated in 2021-22 by the CSPRP (a period shift)."""
    csprp_23 = 48 if discrepancy else 49
    series = (_point("ncmd", Y22, 50), _point("ncmd", Y23, 49), _point("csprp", Y22, 51), _point("csprp", Y23, csprp_23),
              _point("dfe_cla", Y23, 49))  # fmt: skip
    bridges = (_bridge("dfe_cla", Y23, 53, age_over_17=2, age_negative=2), _bridge("ncmd", Y22, 50), _bridge("ncmd", Y23, 49),
               _bridge("csprp", Y22, 51), _bridge("csprp", Y23, csprp_23))  # fmt: skip
    status = "discrepancy" if discrepancy else "agree"
    comparisons = (
        _comparison("csprp", "dfe_cla", Y23, csprp_23, 49, ">=", status, period_shifts=1 if discrepancy else 0),
        _comparison("ncmd", "dfe_cla", Y23, 49, 49, "==", "agree"),
    )
    unmatched = (
        Unmatched("csprp", "dfe_cla", "lac_deaths", Y23, LABEL[Y23], 48, (MatchedPair("S9", "C9", "child_id", True),), (), ())
        if discrepancy else Unmatched("csprp", "dfe_cla", "lac_deaths", Y23, LABEL[Y23], 49, (), (), ()),
        Unmatched("ncmd", "dfe_cla", "lac_deaths", Y23, LABEL[Y23], 48, (), ("N1",), ("C7",)),
    )  # fmt: skip
    note = MeasureNote("lac_deaths", "Deaths of looked-after children", "Children who died while looked after, once per child.",
                       ("dfe_cla", "ncmd", "csprp"),
                       (Expectation("csprp", ">=", "ssda903", REASON), Expectation("ncmd", "==", "ssda903", "Both see every death.")))  # fmt: skip
    provenance = Provenance(dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC), dt.date(2023, 3, 31), "release.yaml", "", (
        ("dfe_cla", InputFile("ssda903/episodes.csv", 2048, "a" * 64)),), (("triangulate", "0"),))  # fmt: skip
    result = ReconcileResult(comparisons=comparisons, bridges=bridges, unmatched=unmatched, series=series)
    return Release("run", (_source("dfe_cla", "ssda903", 2), _source("ncmd", "ncmd"), _source("csprp", "csprp")), result, provenance,
                   measures=(note,),
                   death_rules={"dfe_cla": "an episode that ceased with reason E2 (died).", "ncmd": "each row.", "csprp": "a notification."})  # fmt: skip


def _render(tmp_path: Path, rel: Release, disclosure: Disclosure | None = None) -> dict[str, str]:
    files = render_report_files(build_report_view(rel, disclosure or Disclosure()), tmp_path / "report.html")
    return {path.name: text for path, text in files.items()}


# --- every source's headline, always -----------------------------------------------------------------------------


def test_a_single_period_ssda903_source_shows_its_count_its_bridge_and_its_point(tmp_path: Path) -> None:
    files = _render(tmp_path, release())
    page = lxml.html.fromstring(files["report.html"])
    grid = page.xpath("//section[@id='first-page']//table[caption='Deaths of looked-after children']")[0]
    headers = [th.text_content().strip() for th in grid.iter("th") if th.get("scope") == "col"]
    assert headers == ["Period", "dfe_cla", "ncmd", "csprp"]  # the measure's config order
    rows = {tr[0].text_content(): [td.text_content().strip() for td in tr[1:]] for tr in grid.iter("tr") if tr[0].get("scope") == "row"}
    assert rows == {"2021-22": ["", "50", "51"], "2022-23": ["53 → 49 *", "49", "48 *"]}
    # The bridge of the one period, and the point on the chart (a single period is not dropped).
    bridge = page.xpath("//table[@class='bridges']//tr[th[contains(., 'dfe_cla')]]")[0]
    assert [td.text_content().strip() for td in bridge.findall("td")] == ["2022-23", "53", "−2", "−2", "49"]
    view = build_report_view(release(), Disclosure())
    (trend,) = view.trends
    assert dict(trend.series)["dfe_cla"][0].shown == "49" and len(dict(trend.series)["dfe_cla"]) == 1
    assert "dfe_cla" in page.xpath("//figure[@class='trend']//svg")[0].xpath("string()")
    # The same grid as a CSV a steward can open.
    table = list(csv.reader(io.StringIO(files["report.lac_deaths.csv"])))
    assert table == [["period", "dfe_cla", "ncmd", "csprp", "dfe_cla headline"], ["2021-22", "", "50", "51", ""],
                     ["2022-23", "49", "49", "48", "53"]]  # fmt: skip


def test_a_single_period_run_config_shows_the_count_in_the_html(clean_sample: Path, tmp_path: Path) -> None:
    """An SSDA903 return for one year beside the NCMD, through the CLI: the return's count is in the report and its CSV."""
    sample = copy_of(clean_sample, tmp_path / "sample")
    (sample / "single.yaml").write_text(
        "sources:\n"
        "  dfe_cla: {kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}\n"
        "  ncmd: {kind: ncmd, path: ncmd/ncmd_deaths.csv}\n"
        "measures:\n"
        "  - id: lac_deaths\n"
        "    title: Deaths of looked-after children\n"
        "    definition: Children who died while looked after, once per child by date of death, in the year of the return.\n"
        "    period: {start: 2022-04-01, end: 2023-03-31}\n"
        "    select: {ssda903: {where: {status: [LAC]}}, ncmd: {where: {status: [LAC]}}}\n"
        "    compare: [{left: ncmd, right: ssda903, relation: '==', tolerance: {abs: 2}, reason: Both count them.}]\n",
        encoding="utf-8",
    )
    result = run_cli("run", str(sample / "single.yaml"), "--out", str(tmp_path / "out"), "--json", str(tmp_path / "r.json"))
    assert result.returncode in (0, 1), result.stderr
    import json

    (point,) = [p for p in json.loads((tmp_path / "r.json").read_text())["series"] if p["source"] == "dfe_cla"]
    count = f"{point['value'][0]:,}"
    page = lxml.html.fromstring((tmp_path / "out" / "report.html").read_bytes())
    grid = page.xpath("//section[@id='first-page']//table")[0]
    cells = [td.text_content() for td in grid.iter("td")]
    assert any(re.fullmatch(rf"(\d[\d,]* → )?{count}( \*)?", cell.strip()) for cell in cells), cells
    assert count.replace(",", "") in (tmp_path / "out" / "report.lac_deaths.csv").read_text().splitlines()[1].split(",")


# --- bridges that agree with the verdict --------------------------------------------------------------------------


def test_the_verdict_and_the_bridge_are_written_from_the_same_facts() -> None:
    rel = release()
    facts = discrepancy_facts(rel.reconciliation.discrepancies[0], rel.reconciliation, rel)
    assert facts.cause == "period_shift" and facts.expectation is not None and facts.expectation.reason == REASON
    sentence = explain_discrepancy(facts, Disclosure())
    assert sentence == "the cause is a period shift, not a missing record: 1 death that dfe_cla dates in 2022-23 is dated in another period by csprp"
    failures, _ = verdict(rel, Disclosure())
    assert sentence in failures[0] and "expected: csprp should be at least dfe_cla's count" in failures[0]
    view = build_report_view(rel, Disclosure())
    (explained,) = view.explained
    assert explained.explanation == sentence and "unexplained" not in str(explained)
    assert explained.sources == ("csprp", "dfe_cla") and explained.reason == REASON
    steps = {row.step: row.values for row in explained.steps}
    assert steps["headline"] == ("48", "53") and steps["age.over_17"] == ("0", "−2") and steps["harmonised"] == ("48", "49")
    linkage = {row.label: row.values for row in explained.linkage}
    assert linkage["in both sources, same period"] == ("48", "48")
    assert linkage["dated in this period here, in another by the other source"] == ("0", "1")
    assert explained.outcome == "csprp 48, dfe_cla 49: discrepancy" and explained.expected == "csprp should be at least dfe_cla's count"


def test_non_matches_the_measure_expects_are_listed_apart_from_gaps() -> None:
    rel = release()
    note = rel.measures[0]
    unmatched = (
        Unmatched("csprp", "dfe_cla", "lac_deaths", Y23, "2022-23", 47, (), ("S1",), ("C1", "C2")),  # >=: csprp only is expected
        Unmatched("ncmd", "dfe_cla", "lac_deaths", Y23, "2022-23", 47, (), ("N1",), ()),  # ==: anything only in one is a gap
    )
    rel = Release(rel.command, rel.sources, ReconcileResult(unmatched=unmatched), rel.provenance, measures=(note,))
    found = unmatched_view(rel, Disclosure())
    assert [(r.source, r.other, r.count, r.rule) for r in found.expected] == [("csprp", "dfe_cla", "1", REASON)]
    assert [(r.source, r.other, r.count) for r in found.gaps] == [("dfe_cla", "csprp", "2"), ("ncmd", "dfe_cla", "1")]


def test_for_no_more_than_the_other_side_is_expected() -> None:
    rel = release()
    note = MeasureNote("lac_deaths", "t", "", ("ncmd", "csprp"), (Expectation("csprp", "<=", "ncmd", "Not every death is notified."),))
    unmatched = (Unmatched("csprp", "ncmd", "lac_deaths", Y23, "2022-23", 4, (), ("S1",), tuple(f"N{i}" for i in range(51))),)
    rel = Release(rel.command, rel.sources, ReconcileResult(unmatched=unmatched), rel.provenance, measures=(note,))
    found = unmatched_view(rel, Disclosure())
    assert [(r.source, r.count, r.rule) for r in found.expected] == [("ncmd", "51", "Not every death is notified.")]
    assert [(r.source, r.count) for r in found.gaps] == [("csprp", "1")]


# --- words for every number ---------------------------------------------------------------------------------------


def test_each_measure_has_its_definition_reasons_death_rules_and_glossary(tmp_path: Path) -> None:
    page = lxml.html.fromstring(_render(tmp_path, release())["report.html"])
    text = page.text_content()
    assert "Children who died while looked after, once per child." in text
    assert f"Expected: csprp should be at least dfe_cla's count. {REASON}" in " ".join(text.split())
    assert "an episode that ceased with reason E2 (died)." in text.replace("An episode", "an episode")
    row = page.get_element_by_id("g-age.negative")
    assert "date of death is before date of birth" in row.text_content().lower() and "cannot be trusted" in row.text_content()
    assert page.xpath("//a[@href='#g-age.negative']")  # the check id links to it


def test_plurals_agree_with_their_numbers_and_a_hidden_count_has_no_singular() -> None:
    assert count_words(1, "check fails", "checks fail") == "1 check fails"
    assert count_words(2, "check fails", "checks fail") == "2 checks fail"
    assert counted(1, "death", "deaths", hidden=True) == "some deaths"
    rel = release()
    shift = linkage_cell("csprp", "dfe_cla", "lac_deaths", Y23, "period_shifts")
    publish = Disclosure(publish=True, withheld=frozenset({Cell("dfe_cla", "lac_deaths", Y23, ENGLAND)}))
    facts = discrepancy_facts(rel.reconciliation.discrepancies[0], rel.reconciliation, rel)
    sentence = explain_discrepancy(facts, publish)
    assert sentence.endswith("some deaths are dated in different periods by the two sources") and not publish.hides_cell(shift, 7)
    failures, _ = verdict(rel, publish)
    assert not re.search(r"\bc deaths?\b|\b1 death\b|by 1\b", " ".join(failures))
    assert "1 check fails" in " ".join(failures)


# --- nothing the disclosure withholds ------------------------------------------------------------------------------


def test_a_withheld_figure_is_c_in_every_table_and_not_drawn(tmp_path: Path) -> None:
    withheld = {Cell("dfe_cla", "lac_deaths", Y23, ENGLAND), Cell("dfe_cla", "lac_deaths", Y23, ENGLAND, "headline")}
    publish = Disclosure(publish=True, withheld=frozenset(withheld))
    assert figure_text(Interval.exact(49), publish, Cell("dfe_cla", "lac_deaths", Y23, ENGLAND)) == "c"
    assert figure_text(Interval(45, 54), publish, Cell("dfe_pub", "lac_deaths", Y23, ENGLAND)) == "45 to 54"
    view = build_report_view(release(), publish)
    (grid,) = view.grids
    assert [c.text for c in grid.rows[1].cells] == ["c", "49", "48"] and grid.rows[1].cells[0].change == "c → c"
    assert "dfe_cla" not in dict(view.trends[0].series)  # its one point is withheld: not drawn
    (bridge,) = view.bridges
    row = next(r for r in bridge.rows if r.source == "dfe_cla")
    assert (row.headline, row.harmonised, row.changes) == ("c", "c", ("c", "c"))  # steps of 2: small themselves
    files = _render(tmp_path, release(), publish)
    assert "49" not in files["report.lac_deaths.csv"].splitlines()[2].split(",")[1:2]
    assert not any(name in files for name in ("report.check-failures.csv", "report.unmatched.csv"))


# --- briefing-ready presentation -----------------------------------------------------------------------------------


def test_one_colour_and_marker_per_source_in_every_chart_and_period_labels_on_the_axis() -> None:
    styles = source_styles(["dfe_cin", "dfe_cla", "ncmd", "csprp", "dfe_pub"])
    assert len({colour for _, colour, _ in styles}) == 5 and len({marker for _, _, marker in styles}) == 5
    palette = {name: (colour, marker) for name, colour, marker in styles}
    from triangulate.reports.charts import Series

    one = trend_svg([Series("ncmd", ((2021.5, 48, 48, 48),))], "a", ((2021.5, "2021-22"),), palette)
    two = trend_svg([Series("csprp", ((2021.5, 3, 3, 3),)), Series("ncmd", ((2021.5, 55, 55, 55),))], "b", ((2021.5, "2021-22"),),
                    palette)  # fmt: skip
    ncmd = palette["ncmd"][0].lower()
    assert ncmd in one.lower() and ncmd in two.lower()  # ncmd is second in the second chart, yet keeps its colour
    assert ">2021-22<" in one and not re.search(r">20(21|22)(\.\d)?<", one)  # ticks say 2021-22, not calendar years


def test_side_file_names_are_safe_unique_and_never_a_reserved_name() -> None:
    names = side_file_names(["lac_deaths", "../etc/passwd", "unmatched", "a b", "a-b", "ü"])
    assert names == {"lac_deaths": "lac_deaths", "../etc/passwd": "etc-passwd", "unmatched": "measure-unmatched", "a b": "a-b",
                     "a-b": "a-b-2", "ü": "measure"}  # fmt: skip


def test_expected_relations_are_written_as_expectations_and_outcomes_apart() -> None:
    assert expectation_text("csprp", ">=", "dfe_cla") == "csprp should be at least dfe_cla's count"
    assert expectation_text("csprp", "<=", "ncmd") == "csprp should be no more than ncmd's count"
    assert expectation_text("ncmd", "==", "dfe_cla", {"abs": 2, "rel": 0.1}) == "ncmd should equal dfe_cla's count, within 2 or 10%"
    view = build_report_view(release(), Disclosure())
    outcomes = [o for row in view.grids[0].rows for o in row.outcomes]
    assert [o.text for o in outcomes] == ["csprp 48, dfe_cla 49", "ncmd 49, dfe_cla 49"]
    assert not any(">=" in o.text or "==" in o.text for o in outcomes)


def test_the_first_page_says_the_verdict_in_one_sentence_and_three_findings_at_most() -> None:
    view = build_report_view(release(), Disclosure())
    assert view.briefing.sentence.startswith("Do not release yet: csprp and dfe_cla disagree on deaths of looked-after children")
    assert view.briefing.sentence.count(".") == 1 and 1 <= len(view.briefing.findings) <= 3
    assert view.briefing.findings[0].startswith("Deaths of looked-after children, 2022-23, do not reconcile: csprp 48, dfe_cla 49")
    passing = build_report_view(release(discrepancy=False), Disclosure())
    assert "disagree" not in passing.briefing.sentence and not passing.explained


@pytest.mark.parametrize("publish", [False, True])
def test_no_empty_section_or_table(tmp_path: Path, publish: bool) -> None:
    disclosure = Disclosure(publish=publish)
    page = lxml.html.fromstring(_render(tmp_path, release(discrepancy=False), disclosure)["report.html"])
    for table in page.iter("table"):
        assert table.xpath(".//tbody/tr"), table.findtext("caption")
    for section in page.iter("section"):
        assert len(section) > 1, section.get("aria-labelledby")
    assert page.get_element_by_id("summary") is not None and "Discrepancies explained" not in page.text_content()


@pytest.mark.parametrize(("only_left", "only_right", "shifts", "cause", "words"), [
    ((), ("C1",), (), "missing", "the cause is deaths missing from one source: 1 death in dfe_cla has no csprp record"),
    (("S1", "S2"), (), (), "unexplained", "the deaths in one source only are those the measure expects"),
    ((), (), (), "unexplained", "record linkage finds the same deaths in both sources in the same period"),
    ((), ("C1",), (MatchedPair("S9", "C9", "child_id", True),), "both",
     "the cause is a period shift and deaths missing from one source"),
])  # fmt: skip
def test_each_cause_of_a_discrepancy_in_words(only_left: tuple, only_right: tuple, shifts: tuple, cause: str, words: str) -> None:
    rel = release()
    matched = 49 - len(only_right) - len(shifts)
    link = Unmatched("csprp", "dfe_cla", "lac_deaths", Y23, "2022-23", matched, shifts, only_left, only_right)
    result = ReconcileResult(comparisons=rel.reconciliation.comparisons, bridges=rel.reconciliation.bridges, unmatched=(link,),
                             series=rel.reconciliation.series)  # fmt: skip
    facts = discrepancy_facts(result.discrepancies[0], result, rel)
    assert facts.cause == cause
    assert words in explain_discrepancy(facts, Disclosure())
    hidden = explain_discrepancy(facts, Disclosure(publish=True))
    assert not re.search(r"\b[1-5] deaths?\b|\bc deaths?\b", hidden)
