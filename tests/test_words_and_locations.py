"""Issue 21, items 6 and 7: an XML record is found and counted on its own when lines do not tell records apart, and
the report's words are right (a one-sided relation that holds is "Consistent", each source by its kind's name,
"1 row" and "1 cell")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from triangulate.canonical.registry import SourceOptions, kind_display, source_display
from triangulate.domain.geography import ENGLAND
from triangulate.domain.intervals import Interval
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.reconciliation import Comparison, ReconcileResult, SeriesPoint
from triangulate.model.release import Provenance, Release
from triangulate.pipeline.check import Failures, _outcome, check_source
from triangulate.readers.cin import read_cin
from triangulate.readers.ssda903_xml import read_ssda903_xml
from triangulate.reports.console import render_check_summary, render_reconciliation
from triangulate.reports.disclosure import Disclosure
from triangulate.reports.grids import measure_grids
from triangulate.reports.history import render_runs
from triangulate.reports.html import render_html
from triangulate.reports.markdown import render_markdown
from triangulate.reports.view import build_report_view
from triangulate.reports.view_model import status_label
from triangulate.schemas.base import PATH_COLUMN

Y23 = "2022-04-01/2023-03-31"
PROVENANCE = Provenance(dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC), dt.date(2023, 3, 31), "release.yaml", "", (), ())

# --- 6. SSDA903 (and CIN) XML written on one line --------------------------------------------------------------------

_EPISODE = "<EPISODE><DECOM>01/01/2020</DECOM><RNE>S</RNE><LS>C2</LS><CIN>N1</CIN><PL>U1</PL><REC>E2</REC><DEC/></EPISODE>"


def _ssda903_one_line(folder: Path, children: int = 3) -> Path:
    """A return as many case-management systems write it: everything after the prolog on line 2."""
    body = "".join(f"<CHILD><HEADER><CHILDID>C{i}</CHILDID><SEX>1</SEX><DOB>01/01/2015</DOB></HEADER>{_EPISODE}</CHILD>"
                   for i in range(1, children + 1))  # fmt: skip
    path = folder / "return.xml"
    path.write_text(f"<?xml version='1.0' encoding='us-ascii'?>\n<EXPSSDA903>{body}</EXPSSDA903>\n", encoding="ascii")
    return path


def _cin_one_line(folder: Path) -> Path:
    died = ("<CINdetails><CINreferralDate>2020-01-01</CINreferralDate><CINclosureDate>2021-01-01</CINclosureDate>"
            "<ReasonForClosure>RC2</ReasonForClosure></CINdetails>")  # fmt: skip
    children = "".join(
        f"<Child><ChildIdentifiers><LAchildID>K{i}</LAchildID><PersonBirthDate>2015-01-01</PersonBirthDate><Sex>M</Sex>"
        f"</ChildIdentifiers><CINdetails><CINreferralDate>2019-01-01</CINreferralDate></CINdetails>{died}</Child>"
        for i in range(1, 4)
    )
    path = folder / "census.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<Message><Header><CollectionDetails><ReferenceDate>2024-03-31'
                    "</ReferenceDate></CollectionDetails><Source><LEA>201</LEA></Source></Header><Children>"
                    f"{children}</Children></Message>\n", encoding="utf-8")  # fmt: skip
    return path


def test_failures_are_counted_by_record_not_by_location() -> None:
    failures = Failures()
    where = pd.Series(["return.xml:2"] * 3)
    failures.add("death.missing_date", pd.Series(["C1", "C2", "C3"]), where)
    failures.add("death.missing_date", pd.Series(["C2"]), pd.Series(["return.xml:2"]))  # the same record again
    options = SourceOptions("dfe_cla", "ssda903", ())
    outcome = _outcome("death.missing_date", failures, options)
    assert outcome.failed == 3
    assert outcome.record_ids == ("C1", "C2", "C3")
    assert outcome.locations == ("return.xml:2",)


def test_a_one_line_ssda903_return_counts_and_locates_each_death(tmp_path: Path) -> None:
    options = SourceOptions("dfe_cla", "ssda903", (_ssda903_one_line(tmp_path),), reference_date=dt.date(2024, 3, 31))
    outcome = check_source(options).result.outcome("death.missing_date")
    assert outcome is not None and outcome.failed == 3
    assert outcome.record_ids == ("C1", "C2", "C3")
    assert outcome.locations == tuple(f"return.xml:2 /EXPSSDA903/CHILD[{i}]/EPISODE[1]" for i in (1, 2, 3))


def test_the_xml_reader_gives_paths_only_where_lines_tie(tmp_path: Path) -> None:
    header, episodes = read_ssda903_xml(_ssda903_one_line(tmp_path, children=2))
    assert header[PATH_COLUMN].tolist() == ["/EXPSSDA903/CHILD[1]/HEADER", "/EXPSSDA903/CHILD[2]/HEADER"]
    assert episodes[PATH_COLUMN].tolist() == ["/EXPSSDA903/CHILD[1]/EPISODE[1]", "/EXPSSDA903/CHILD[2]/EPISODE[1]"]
    spread = tmp_path / "spread.xml"
    spread.write_text((tmp_path / "return.xml").read_text(encoding="ascii").replace("<CHILD>", "\n<CHILD>")
                      .replace("<EPISODE>", "\n<EPISODE>"), encoding="ascii")  # fmt: skip
    header, episodes = read_ssda903_xml(spread)
    assert PATH_COLUMN not in header and PATH_COLUMN not in episodes  # lines differ: file:line, as before
    assert header["_line"].is_unique and episodes["_line"].is_unique


def test_a_one_line_cin_census_counts_and_locates_each_death(tmp_path: Path) -> None:
    path = _cin_one_line(tmp_path)
    frame = read_cin([path])
    assert frame[PATH_COLUMN].tolist()[:3] == ["/Message/Children/Child[1]/CINdetails[1]",
                                               "/Message/Children/Child[1]/CINdetails[2]",
                                               "/Message/Children/Child[2]/CINdetails[1]"]  # fmt: skip
    result = check_source(SourceOptions("cin", "cin", (path,))).result
    failing = {o.check_id: o for o in result.failing}
    assert "death.missing_date" in failing, [o.check_id for o in result.failing]
    outcome = failing["death.missing_date"]
    assert outcome.failed == 3
    assert outcome.locations == tuple(f"census.xml:2 /Message/Children/Child[{i}]/CINdetails[2]" for i in (1, 2, 3))


# --- 7. Words ----------------------------------------------------------------------------------------------------------


def _comparison(left: float, right: float, relation: str, status: str = "agree") -> Comparison:
    return Comparison("lac_deaths", Y23, "2022-23", ENGLAND, "csprp", "ncmd", Interval.exact(left), Interval.exact(right),
                      Y23, Y23, Interval.exact(left), Interval.exact(right), Interval.exact(left - right), relation,
                      {}, status)  # fmt: skip


def _reconciled(*comparisons: Comparison) -> Release:
    series = tuple(SeriesPoint("lac_deaths", source, Y23, "2022-23", Interval.exact(7), Interval.exact(7)) for source in ("csprp", "ncmd"))
    return Release("reconcile", (), ReconcileResult(comparisons=comparisons, series=series), PROVENANCE)


def test_a_one_sided_relation_that_holds_is_consistent_not_agreed() -> None:
    assert status_label("agree", "<=") == status_label("agree", ">=") == "Consistent"
    assert status_label("agree", "==") == "Agree"
    assert status_label("discrepancy", "<=") == "Discrepancy"
    release = _reconciled(_comparison(0, 55, "<="), _comparison(7, 7, "=="))
    (grid,) = measure_grids(release, Disclosure(), {})
    labels = [o.status_label for row in grid.rows for o in row.outcomes]
    assert sorted(labels) == ["Agree", "Consistent"]
    assert "1 agree, 1 consistent" in render_reconciliation(release)
    assert "1 agree, 1 consistent" in render_markdown(release)
    assert release.reconciliation.comparisons[0].to_dict()["status"] == "agree"  # the JSON's status value: a contract


def test_each_source_is_named_with_its_kind() -> None:
    assert kind_display("ssda903") == "SSDA903 return (ssda903)"
    assert kind_display("csprp") == "CSPRP notifications (csprp)"
    assert source_display("dfe_cla", "ssda903") == "dfe_cla — SSDA903 return (ssda903)"
    assert source_display("csprp", "csprp") == "CSPRP notifications (csprp)"
    failing = CheckOutcome("missing.SEX", "error", "SEX is blank", 1, ("C3",), ("header.csv:4",))
    source = SourceResult("dfe_cla", "ssda903", 10, 2, dt.date(2023, 3, 31), (InputFile("h.csv", 1, "0" * 64),), (failing,))
    release = Release("check", (source,), None, PROVENANCE)
    html = render_html(build_report_view(release, Disclosure()), Path("report.html"))
    assert "SSDA903 return (ssda903)" in html
    assert "Checks on dfe_cla — SSDA903 return (ssda903) that did not pass" in html


def test_one_row_and_one_cell_are_singular(tmp_path: Path) -> None:
    table = SourceResult("ees", "published", 1, 0, None, (InputFile("t.csv", 1, "0" * 64),),
                         (CheckOutcome("published.unreadable", "error", "unreadable", 1, ("x",), ("t.csv:2",), level="cell"),),
                         published=True)  # fmt: skip
    release = Release("check", (table,), None, PROVENANCE)
    html = render_html(build_report_view(release, Disclosure()), tmp_path / "report.html")
    assert "1 row<" in html and "1 rows" not in html
    assert "1 row" in render_check_summary(table) and "1 rows" not in render_check_summary(table)
    runs = [{"run_id": 1, "release": "r", "started_at": "2024-05-01T09:00:00", "passed": False, "command": "run",
             "failing_checks": 1, "discrepancies": 1}]  # fmt: skip
    assert "1 check not passed, 1 discrepancy" in render_runs(runs)


def test_the_json_summary_counts_the_consistent_as_the_console_does() -> None:
    """`2 agree, 1 consistent` on the console; the JSON's summary has agree 3 (statuses unchanged) and consistent 1."""
    from triangulate.domain.intervals import Interval
    from triangulate.domain.periods import financial_year
    from triangulate.model.reconciliation import Comparison, ReconcileResult
    from triangulate.reports.console import agreeing

    year = financial_year(2023)

    def compared(left: int, right: int, relation: str) -> Comparison:
        return Comparison("m", year.iso, year.label, "England", "a", "b", Interval.exact(left), Interval.exact(right), year.iso,
                          year.iso, None, None, Interval.exact(left - right), relation, {}, "agree")  # fmt: skip

    result = ReconcileResult(comparisons=(compared(1, 1, "=="), compared(2, 2, "=="), compared(55, 0, ">=")))
    assert result.summary()["agree"] == 3 and result.summary()["consistent"] == 1
    assert agreeing(result.summary()) == "2 agree, 1 consistent"
