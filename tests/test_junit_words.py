"""JUnit says what passed but is not clean (issue 21, item 7): `check --junit`; a warning is a passing testcase with a
`warning` property and its words in <system-out>; a comparison within tolerance carries its gap in <system-out>."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from triangulate.domain.geography import ENGLAND
from triangulate.domain.intervals import Interval
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.reconciliation import Comparison, MissingDeaths, ReconcileResult
from triangulate.model.release import Provenance, Release
from triangulate.pipeline.outputs import write_outputs
from triangulate.reports.disclosure import Disclosure
from triangulate.reports.junit import render_junit

from .conftest import run_cli

Y23 = "2022-04-01/2023-03-31"
PROVENANCE = Provenance(dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC), dt.date(2023, 3, 31), "release.yaml", "", (), ())
LONDON = "E12000007"
CENSUS = Path(__file__).parent / "data" / "CIN_Census_2021.xml"  # one death date with no RC2: an error by default


def _check_release(*outcomes: CheckOutcome, published: bool = False) -> Release:
    source = SourceResult("cin", "published" if published else "cin", 100, 60, dt.date(2023, 3, 31),
                          (InputFile("cin.xml", 10, "0" * 64),), outcomes, published=published)  # fmt: skip
    return Release("check", (source,), None, PROVENANCE)


def _case(xml: str, name: str) -> ET.Element:
    (case,) = [c for c in ET.fromstring(xml).iter("testcase") if c.get("name") == name]
    return case


def _warning(case: ET.Element) -> str:
    (value,) = [p.get("value") for p in case.findall("properties/property") if p.get("name") == "warning"]
    return value


def _comparison(geography: str, left: float, right: float, status: str, **tolerance: float) -> Comparison:
    return Comparison("lac_deaths", Y23, "2022-23", geography, "csprp", "dfe_cla", Interval.exact(left), Interval.exact(right),
                      Y23, Y23, Interval.exact(left), Interval.exact(right), Interval.exact(left - right), ">=",
                      tolerance, status)  # fmt: skip


# --- check --junit ----------------------------------------------------------------------------------------------------


def test_check_writes_junit_and_a_warning_there_passes_and_says_so(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(f"sources:\n  cin: {{kind: cin, path: {CENSUS}, severity: {{death.date_without_reason: warning}}}}\n")
    result = run_cli("check", "--source", "cin", str(CENSUS), "--config", str(config), "--junit", str(tmp_path / "j.xml"),
                     "--jobs", "1")  # fmt: skip
    assert result.returncode == 0, result.stderr
    xml = (tmp_path / "j.xml").read_text(encoding="utf-8")
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None and suite.get("name") == "check.cin" and suite.get("failures") == "0"
    case = _case(xml, "death.date_without_reason")
    assert case.find("failure") is None
    assert _warning(case) == "1 record: PersonDeathDate recorded without an RC2 (died) closure"
    assert case.findtext("system-out") == "warning: 1 record: PersonDeathDate recorded without an RC2 (died) closure\nDfEX0000001"


def test_check_junit_as_an_error_is_a_failing_case(tmp_path: Path) -> None:
    result = run_cli("check", "--source", "cin", str(CENSUS), "--junit", str(tmp_path / "j.xml"), "--jobs", "1")
    assert result.returncode == 1, result.stderr
    failure = _case((tmp_path / "j.xml").read_text(encoding="utf-8"), "death.date_without_reason").find("failure")
    assert failure is not None and failure.text == "DfEX0000001"


def test_check_junit_is_refused_before_any_work_when_it_is_a_folder(tmp_path: Path) -> None:
    result = run_cli("check", "--source", "cin", str(CENSUS), "--junit", str(tmp_path), "--jobs", "1")
    assert result.returncode == 2 and f"--junit {tmp_path}: is a folder" in result.stderr


# --- warnings -----------------------------------------------------------------------------------------------------


def test_a_failed_warning_check_is_a_passing_case_with_a_warning_property_and_system_out() -> None:
    warned = CheckOutcome("age.over_17", "warning", "death at age 18 or over", 7, tuple(f"C{i}" for i in range(7)))
    xml = render_junit(_check_release(warned, CheckOutcome("age.negative", "error", "date of death is before date of birth", 0)))
    case = _case(xml, "age.over_17")
    assert case.find("failure") is None and case.find("skipped") is None
    assert _warning(case) == "7 records: death at age 18 or over"
    assert case.findtext("system-out") == "warning: 7 records: death at age 18 or over\nC0\nC1\nC2\nC3\nC4\nC5\nC6"
    assert [child.tag for child in case] == ["properties", "system-out"]  # the order JUnit readers expect
    clean = _case(xml, "age.negative")  # a clean pass says nothing but its key (issue 23)
    assert [child.tag for child in clean] == ["properties"] and clean.find("system-out") is None
    assert [(p.get("name"), p.get("value")) for p in clean.iter("property")] == [("key", "check/cin/age.negative")]
    assert ET.fromstring(xml).find("testsuite").get("failures") == "0"  # type: ignore[union-attr]


def test_a_warning_under_publish_names_no_record_and_no_small_count(tmp_path: Path) -> None:
    warned = CheckOutcome("age.over_17", "warning", "death at age 18 or over", 3, ("C1", "C2", "C3"))
    (path,) = write_outputs(_check_release(warned), {"junit": tmp_path / "j.xml"}, Disclosure(publish=True)).paths
    xml = path.read_text(encoding="utf-8")
    case = _case(xml, "age.over_17")
    assert _warning(case) == "c records: death at age 18 or over"
    assert case.findtext("system-out") == "warning: c records: death at age 18 or over"
    assert "C1" not in xml


def test_an_incoherent_published_whole_as_a_warning_is_no_failure() -> None:
    incoherent = CheckOutcome("published.incoherent", "warning", "parts do not add up to the whole", 1,
                              ("England 2024-25 is 50, its regions add up to 40",), ("cla.csv:3",), level="cell")  # fmt: skip
    xml = render_junit(_check_release(incoherent, published=True))
    case = _case(xml, "published.incoherent cla.csv:3: England 2024-25 is 50, its regions add up to 40")
    assert case.find("failure") is None
    assert _warning(case) == "parts do not add up to the whole: England 2024-25 is 50, its regions add up to 40"
    assert "parts do not add up" in (case.findtext("system-out") or "")
    as_error = render_junit(_check_release(replace(incoherent, severity="error"), published=True))
    assert ET.fromstring(as_error).find(".//testcase/failure") is not None


def test_missing_deaths_as_a_warning_carry_a_warning_property() -> None:
    gap = MissingDeaths("lac_deaths", Y23, "2022-23", ENGLAND, "ncmd", "csprp", "absent", ("N1", "N2"), "warning")
    rel = Release("reconcile", (), ReconcileResult(missing=(gap,)), PROVENANCE)
    (case,) = ET.fromstring(render_junit(rel)).iter("testcase")
    assert case.find("failure") is None
    assert _warning(case).startswith("missing: ")
    assert (case.findtext("system-out") or "").startswith("warning: missing: ") and "N1" in case.findtext("system-out", "")


# --- within tolerance ---------------------------------------------------------------------------------------------


def test_a_comparison_within_tolerance_carries_its_gap() -> None:
    within = _comparison(LONDON, 47, 49, "within_tolerance", abs=2)
    agree = _comparison(ENGLAND, 49, 49, "agree", abs=2)
    xml = render_junit(Release("reconcile", (), ReconcileResult(comparisons=(within, agree)), PROVENANCE))
    case = _case(xml, f"lac_deaths 2022-23 {LONDON}: csprp >= dfe_cla")
    assert case.find("failure") is None
    assert case.findtext("system-out") == (
        "within tolerance: csprp 47, dfe_cla 49, difference -2 (expected: csprp at least dfe_cla, within a tolerance of 2)"
    )
    exact = _case(xml, f"lac_deaths 2022-23 {ENGLAND}: csprp >= dfe_cla")  # an exact agreement: nothing to say but its key
    assert [child.tag for child in exact] == ["properties"]
    assert [p.get("value") for p in exact.iter("property")] == ["comparison/lac_deaths/2022-23/E92000001/csprp/dfe_cla"]


def test_a_national_comparison_within_tolerance_says_why_as_a_discrepancy_would() -> None:
    from triangulate.reports.facts import comparison_explanation

    from .test_briefing import release

    rel = release()
    shifted = replace(rel.reconciliation.comparisons[0], status="within_tolerance", tolerance={"abs": 1})
    rel = replace(rel, reconciliation=replace(rel.reconciliation, comparisons=(shifted, *rel.reconciliation.comparisons[1:])))
    case = _case(render_junit(rel), f"lac_deaths 2022-23 {ENGLAND}: csprp >= dfe_cla")
    words = case.findtext("system-out") or ""
    assert words.startswith(
        "within tolerance: csprp 48, dfe_cla 49, difference -1 (expected: csprp at least dfe_cla, within a tolerance of 1)"
    )
    why = comparison_explanation(shifted, rel, Disclosure())
    assert why and words.endswith(f"; {why}")


@pytest.mark.parametrize("publish", [False, True])
def test_a_gap_of_a_small_count_is_withheld_under_publish(publish: bool, tmp_path: Path) -> None:
    within = _comparison(LONDON, 7, 10, "within_tolerance", abs=3)
    rel = Release("reconcile", (), ReconcileResult(comparisons=(within,)), PROVENANCE)
    (path,) = write_outputs(rel, {"junit": tmp_path / "j.xml"}, Disclosure(publish=publish)).paths
    words = _case(path.read_text(encoding="utf-8"), f"lac_deaths 2022-23 {LONDON}: csprp >= dfe_cla").findtext("system-out") or ""
    assert words.startswith("within tolerance: ")
    assert ("difference -3" in words) is not publish  # a difference of 1 to 5 between two exact counts is withheld
