"""Nothing configured goes unmentioned (issue 23): a configured source that no measure compares with another is a
note in results.json, on the console, in the Markdown and in the HTML report, and never changes the gate; and every
JUnit testcase of a finding that can block a release carries its stable key in the documented string form."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from triangulate.domain.geography import ENGLAND, place_code
from triangulate.domain.intervals import Interval
from triangulate.domain.status import Status
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.reconciliation import Comparison, EmptyComparison, MissingDeaths, ReconcileResult
from triangulate.model.release import Provenance, Release
from triangulate.reconcile.keys import with_keys
from triangulate.reconcile.measures import EXACT, CompareSpec, Measure, Selector, tolerance_levels
from triangulate.reconcile.not_compared import not_compared
from triangulate.reports.junit import render_junit

from .conftest import copy_of, run_cli

SOURCES = """reference_date: 2023-03-31
sources:
  dfe_cla: {kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}
  ncmd: {kind: ncmd, path: ncmd/ncmd_deaths.csv}
"""
UNSELECTED = '  dfe_cin: {kind: cin, path: "cin/*/*.xml"}\n'  # read and checked; no measure below selects a CIN census
MEASURES = """measures:
  - {id: lac_deaths, select: {ncmd: {where: {status: [LAC]}}, dfe_cla: {}}, compare: [{left: ncmd, right: dfe_cla}]}
"""
REASON = "no measure selects it (kind cin)"


def _run(folder: Path, text: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    (folder / "release.yaml").write_text(text)
    out = folder / "out"
    return run_cli("run", str(folder / "release.yaml"), "--out", str(out), "--jobs", "1"), out


@pytest.fixture(scope="module")
def runs(clean_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[subprocess.CompletedProcess[str], Path]]:
    """The same clean run with and without a source that no measure selects."""
    done = {}
    for name, text in (("with", SOURCES + UNSELECTED + MEASURES), ("without", SOURCES + MEASURES)):
        folder = tmp_path_factory.mktemp(name)
        copy_of(clean_sample, folder)
        done[name] = _run(folder, text)
    return done


def test_a_source_no_measure_selects_is_in_results_json_with_its_reason(runs: dict) -> None:
    result, out = runs["with"]
    document = json.loads((out / "results.json").read_text())
    assert document["not_compared"] == [{"source": "dfe_cin", "reason": REASON}], result.stdout
    assert "dfe_cin" in {s["name"] for s in document["sources"]}  # still checked
    assert json.loads((runs["without"][1] / "results.json").read_text())["not_compared"] == []


def test_it_never_changes_the_gate_or_the_exit_code(runs: dict) -> None:
    (with_it, out), (without, bare) = runs["with"], runs["without"]
    assert with_it.returncode == without.returncode == 0, with_it.stdout + with_it.stderr
    documents = [json.loads((folder / "results.json").read_text()) for folder in (out, bare)]
    assert [d["passed"] for d in documents] == [True, True]
    assert documents[0]["summary"] == documents[1]["summary"]


def test_the_console_the_markdown_and_the_html_say_it(runs: dict) -> None:
    result, out = runs["with"]
    assert f"  NOT COMPARED dfe_cin: {REASON}" in result.stdout.splitlines()
    assert f"- dfe_cin: {REASON}." in (out / "summary.md").read_text().splitlines()
    text = _html_text((out / "report.html").read_text())
    assert "Not compared with any other source (a note; it does not fail the run):" in text
    assert f"dfe_cin: {REASON}." in text
    bare = runs["without"]
    assert "NOT COMPARED" not in bare[0].stdout and "Not compared" not in (bare[1] / "report.html").read_text()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def test_the_run_junit_cases_carry_their_keys(runs: dict) -> None:
    _, out = runs["with"]
    cases = _cases((out / "junit.xml").read_text())
    assert cases
    for case, key in cases:
        classname, name = case.get("classname", ""), case.get("name", "")
        if classname.startswith("check."):
            assert key == f"check/{classname.removeprefix('check.')}/{name}"
        else:
            # A place is named as people know it (England, a region, an LA's code); its key holds its ONS code.
            measure, period, place = re.fullmatch(r"(\w+) (\d{4}-\d{2}) (.+): ncmd == dfe_cla", name).groups()  # type: ignore[union-attr]
            assert key == f"comparison/{measure}/{period}/{place_code(place)}/ncmd/dfe_cla", key
            assert re.fullmatch(r"E\d{8}", key.split("/")[3]), key


def _cases(xml: str) -> list[tuple[ET.Element, str]]:
    """Every testcase with its key property (one <properties>, first, holding one `key`)."""
    out = []
    for case in ET.fromstring(xml).iter("testcase"):
        assert case[0].tag == "properties" and len(case.findall("properties")) == 1
        (key,) = [p.get("value", "") for p in case.iter("property") if p.get("name") == "key"]
        out.append((case, key))
    return out


# --- the reasons in words, and keys of every finding that can block -----------------------------------------------

Y23 = "2022-04-01/2023-03-31"
KINDS = {"dfe_cin": "cin", "dfe_cla": "ssda903", "ncmd": "ncmd", "csprp": "csprp", "pop": "denominator", "pub": "published"}


def _measure(id: str, select: tuple[str, ...], compare: tuple[tuple[str, str], ...] = (), trend: tuple[str, ...] = ()) -> Measure:
    return Measure(id, id, "financial_year", None, {name: Selector() for name in select},
                   tuple(CompareSpec(left, right, "==", tolerance_levels(EXACT)) for left, right in compare), trend)  # fmt: skip


def _pair(left: str, right: str) -> Comparison:
    value = Interval.exact(3)
    return Comparison("m", Y23, "2022-23", ENGLAND, left, right, value, value, Y23, Y23, value, value, Interval.exact(0), "==",
                      {}, Status.AGREE)  # fmt: skip


def test_each_reason_in_words_and_denominators_are_never_listed() -> None:
    measures = (
        _measure("lac_deaths", ("ncmd", "ssda903", "cin"), (("ncmd", "ssda903"),)),
        _measure("cpp_deaths", ("cin", "csprp", "ncmd"), (("ncmd", "csprp"),), trend=("csprp", "ncmd")),
        _measure("trend_only", ("pub", "ssda903"), trend=("pub", "ssda903")),
    )
    found = not_compared(measures, KINDS, [_pair("ncmd", "dfe_cla")])
    reasons = {n.source: n.reason for n in found}
    assert list(reasons) == ["dfe_cin", "csprp", "pub"]  # config order; pop is a denominator, ncmd and dfe_cla compared
    assert reasons["dfe_cin"] == "measures lac_deaths and cpp_deaths select it but compare it with no other source"
    assert reasons["csprp"] == ("measure cpp_deaths would compare it with ncmd, but the two gave nothing to compare (see the "
                                "notes)")  # e.g. a shipped measure's filter selected nothing from it: the notes say so
    assert reasons["pub"] == "measure trend_only selects it but compares it with no other source (only its trend is set beside dfe_cla's)"
    assert not_compared((), {"dfe_cin": "cin"})[0].reason == REASON
    empty = EmptyComparison("cpp_deaths", "ncmd", "csprp", "no period in common", False)
    assert "csprp" not in {n.source for n in not_compared(measures, KINDS, [_pair("ncmd", "dfe_cla")], [empty])}


PROVENANCE = Provenance(dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC), dt.date(2023, 3, 31), "release.yaml", "", (), ())


def test_every_finding_that_can_block_carries_its_key_in_junit() -> None:
    """check/SOURCE_ID/CHECK_ID, comparison/MEASURE/PERIOD/GEOGRAPHY/LEFT_ID/RIGHT_ID,
    missing/MEASURE/PERIOD/GEOGRAPHY/SOURCE_ID/ABSENT_FROM_ID/KIND and empty/MEASURE/LEFT_ID/RIGHT_ID (domain/identity.py),
    on ids (`id:`), never names; the testcases' names stay as they were."""
    outcomes = (CheckOutcome("age.over_17", "error", "too old", 2, ("A1", "A2")), CheckOutcome("unborn.death", "warning", "unborn", 1),
                CheckOutcome("date.unparseable", "error", "dates", 0))  # fmt: skip
    source = SourceResult("ncmd", "ncmd", 10, 8, dt.date(2023, 3, 31), (InputFile("n.csv", 1, "0" * 64),), outcomes,
                          source_id="ncmd-2024")  # fmt: skip
    gap = MissingDeaths("lac_deaths", Y23, "2022-23", "E08000025", "ncmd", "csprp", "absent", ("N1",), "error")
    empty = EmptyComparison("cpp_deaths", "ncmd", "csprp", "no period in common", allowed=True)
    result = with_keys(ReconcileResult(comparisons=(_pair("ncmd", "csprp"),), missing=(gap,), empty=(empty,)),
                       {"ncmd": "ncmd-2024", "csprp": "csprp"})  # fmt: skip
    xml = render_junit(Release("run", (source,), result, PROVENANCE))
    keys = {case.get("name"): key for case, key in _cases(xml)}
    assert keys == {
        "age.over_17": "check/ncmd-2024/age.over_17",
        "unborn.death": "check/ncmd-2024/unborn.death",
        "date.unparseable": "check/ncmd-2024/date.unparseable",
        "m 2022-23 England: ncmd == csprp": "comparison/m/2022-23/E92000001/ncmd-2024/csprp",
        "lac_deaths 2022-23 E08000025: ncmd deaths in csprp": "missing/lac_deaths/2022-23/E08000025/ncmd-2024/csprp/absent",
        "cpp_deaths: ncmd with csprp": "empty/cpp_deaths/ncmd-2024/csprp",
    }
    root = ET.fromstring(xml)
    # What fails is the model's rule: the error check and the missing death; the warning and the allowed empty do not.
    failing = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert failing == {"age.over_17", "lac_deaths 2022-23 E08000025: ncmd deaths in csprp"}
    assert [s.get("failures") for s in root.iter("testsuite")] == ["1", "1"]
    (warned,) = [c for c in root.iter("testcase") if c.get("name") == "unborn.death"]
    assert [p.get("name") for p in warned.iter("property")] == ["key", "warning"]  # one <properties>, the key first
