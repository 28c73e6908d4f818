import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from triangulate.domain.cells import from_published
from triangulate.domain.intervals import Interval
from triangulate.domain.periods import Period, financial_year
from triangulate.synth import SynthSpec, write_synthetic

from .conftest import copy_of, run_cli

EXAMPLE = Path(__file__).parent.parent / "examples" / "published" / "release.yaml"


def test_published_symbols_become_intervals():
    assert from_published("60", 10) == Interval(55, 64)
    assert from_published("7", 1) == Interval(7, 7)
    suppressed = from_published("c", 1)
    assert suppressed.low == 1 and math.isinf(suppressed.high)
    assert from_published("z", 10) is None and from_published("x", 1) is None


def test_period_length_comes_from_dates_not_labels():
    import datetime as dt

    csprp = Period(dt.date(2022, 1, 1), dt.date(2023, 3, 31))
    assert csprp.months == 15
    assert round(csprp.per_12_months(190)) == 152
    assert financial_year(2023).months == 12


def test_worked_example_reproduces_the_childrens_commissioner(tmp_path: Path) -> None:
    result = run_cli(
        "reconcile", "--config", str(EXAMPLE), "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml")
    )
    assert result.returncode == 1, result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    lac = [c for c in document["comparisons"] if c["measure"] == "lac_deaths"]
    assert {c["period"]: c["status"] for c in lac}["2019-04-01/2020-03-31"] == "discrepancy"
    assert lac[0]["right_value"] == [45, 54]  # DfE's rounded 50
    trend = document["trends"][0]
    assert trend["opposite"] and trend["directions"] == ["up", "down"]
    assert trend["per_12_months"][1] == [198.0, 152.0]
    junit = ET.parse(tmp_path / "j.xml").getroot()
    cases = junit.findall(".//testsuite[@name='reconcile']/testcase")
    assert len(cases) == len(document["comparisons"])
    assert len(junit.findall(".//testsuite[@name='reconcile']/testcase/failure")) == document["summary"]["discrepancy"]


@pytest.fixture(scope="module")
def with_discrepancies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("discrepant")
    manifest = write_synthetic(out, SynthSpec(seed=4, years=2, children_per_year=1000, xlsx=False))
    result = run_cli("reconcile", "--config", str(out / "release.yaml"), "--json", str(out / "r.json"))
    assert result.returncode == 1, result.stderr
    return out, manifest


def test_injected_cross_source_discrepancies_are_explained(with_discrepancies) -> None:
    out, manifest = with_discrepancies
    document = json.loads((out / "r.json").read_text())
    wanted = {d["kind"]: d["record_id"] for d in manifest["discrepancies"]}
    lac = [u for u in document["unmatched"] if u["measure"] == "lac_deaths"]
    ncmd_vs_dfe = [u for u in lac if u["left"] == "ncmd" and u["right"] == "dfe_cla"]
    assert any(wanted["missing_from_ncmd"] in u["only_right"] for u in ncmd_vs_dfe)
    shifts = {p["right_id"] for u in ncmd_vs_dfe for p in u["period_shifts"]}
    assert wanted["period_shift"] in shifts
    assert not any(wanted["period_shift"] in u["only_right"] for u in ncmd_vs_dfe)  # a shift, not a missing death
    csprp_vs_dfe = [u for u in lac if u["left"] == "csprp" and u["right"] == "dfe_cla"]
    assert any(wanted["extra_csprp"] in u["only_left"] for u in csprp_vs_dfe)
    cin_bridges = [
        b for b in document["bridges"] if b["source"] == "dfe_cin" and b["measure"] == "cin_deaths" and b["headline"] > 100
    ]
    unborn = [s for b in cin_bridges for s in b["steps"] if s["step"] == "unborn.death"]
    assert unborn and all(s["count"] > 0 and all(r.startswith("U") for r in s["record_ids"]) for s in unborn)


def test_every_bridge_adds_up(with_discrepancies) -> None:
    out, _ = with_discrepancies
    for bridge in json.loads((out / "r.json").read_text())["bridges"]:
        assert bridge["headline"] - sum(s["count"] for s in bridge["steps"]) == bridge["harmonised"]
        for step in bridge["steps"]:
            assert abs(step["count"]) == len(step["record_ids"])


def test_no_period_after_the_reference_date_is_reported(with_discrepancies) -> None:
    out, manifest = with_discrepancies
    document = json.loads((out / "r.json").read_text())
    starts = {c["period"].split("/")[0] for c in document["comparisons"]} | {
        b["period"].split("/")[0] for b in document["bridges"]
    }
    assert starts and max(starts) <= manifest["reference_date"]


def test_local_authority_counts_add_up_to_england(with_discrepancies) -> None:
    """Record-level sources are compared per LA; the LA values of one comparison sum to England's."""
    out, _ = with_discrepancies
    document = json.loads((out / "r.json").read_text())
    pair = [
        c for c in document["comparisons"] if c["measure"] == "lac_deaths" and c["left"] == "ncmd" and c["right"] == "dfe_cla"
    ]
    for period in {c["period"] for c in pair}:
        england = next(c for c in pair if c["period"] == period and c["geography"] == "England")
        las = [c for c in pair if c["period"] == period and re.fullmatch(r"E\d{8}", c["geography"])]
        assert len(las) > 1
        assert sum(c["right_value"][0] for c in las) == england["right_value"][0]
        assert sum(c["left_value"][0] for c in las) == england["left_value"][0]


def test_a_record_source_counts_london_as_inner_plus_outer_london(with_discrepancies) -> None:
    """London (E12000007) is a region of England: a record source's London is its Inner + Outer London, never a 0
    for want of a borough mapped to London itself (a published London row is compared with it)."""
    out, _ = with_discrepancies
    document = json.loads((out / "r.json").read_text())
    pair = [c for c in document["comparisons"] if c["measure"] == "lac_deaths" and c["left"] == "ncmd" and c["right"] == "dfe_cla"]
    checked = 0
    for period in {c["period"] for c in pair}:
        at = {c["geography"]: c for c in pair if c["period"] == period}
        for side in ("left_value", "right_value"):
            assert at["London"][side][0] == at["Inner London"][side][0] + at["Outer London"][side][0] > 0
            checked += 1
        regions = [g for g in at if g != "England" and not re.fullmatch(r"E\d{8}", g) and g not in ("Inner London", "Outer London")]
        assert len(regions) == 9 and sum(at[g]["right_value"][0] for g in regions) == at["England"]["right_value"][0]
    assert checked >= 4


def test_trend_is_judged_over_the_periods_both_sources_cover() -> None:
    from triangulate.domain.geography import ENGLAND
    from triangulate.reconcile.measures import Measure
    from triangulate.reconcile.trends import trend_flag

    measure = Measure("m", "m", "financial_year", None, {}, (), ("a", "b"))
    # Source a falls sharply in 2016-17 only, before b begins; over the shared years both rise.
    a = {2016: 100, 2020: 10, 2021: 20, 2022: 30}
    b = {2020: 5, 2021: 6, 2022: 7}
    values = {
        name: {(financial_year(year), ENGLAND): Interval.exact(count) for year, count in series.items()}
        for name, series in (("a", a), ("b", b))
    }
    trend = trend_flag(measure, ("a", "b"), {"a": "ncmd", "b": "csprp"}, values)
    assert trend is not None and trend.directions == ("up", "up") and not trend.opposite
    assert trend.spans[0] == "2019-20 to 2021-22"


def test_consistent_synthetic_data_exits_0(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), "--summary-md", str(tmp_path / "s.md"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in (tmp_path / "s.md").read_text()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sources:\n  a: {kind: ncmd, path: x.csv}\nsourcez: 1\n", "unknown key 'sourcez'"),
        ("sources:\n  a: {kind: ncmd, path: x.csv, colums: {}}\n", "unknown key 'colums'"),
        ("sources:\n  a: {kind: ncmd, path: x.csv}\n  a: {kind: csprp, path: y.csv}\n", "given twice"),
        ("sources: !!python/object/apply:os.system ['echo hi']\n", "YAML error"),
        ("sources:\n  a: {kind: ncmd, path: missing.csv}\n", "not found"),
    ],
)
def test_bad_config_is_one_line_exit_2(tmp_path: Path, text: str, fragment: str) -> None:
    (tmp_path / "c.yaml").write_text(text)
    result = run_cli("reconcile", "--config", str(tmp_path / "c.yaml"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_published_rows_follow_the_geographies_setting(clean_sample: Path, tmp_path: Path) -> None:
    """A regional published row is not compared when only England is asked for (it once met a filled-in zero)."""
    copy_of(clean_sample, tmp_path)
    published = tmp_path / "published" / "cla_ceased.csv"
    with published.open("a") as handle:
        handle.write("2022,Reporting year,Regional,E92000001,England,Reason episode ceased,Died,10\n")
    config = (tmp_path / "release.yaml").read_text() + "geographies: [england]\n"
    (tmp_path / "release.yaml").write_text(config)
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert {c["geography"] for c in json.loads((tmp_path / "r.json").read_text())["comparisons"]} == {"England"}


def test_a_missing_published_file_is_one_line_exit_2(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    (tmp_path / "published" / "cla_ceased.csv").unlink()
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"))
    assert result.returncode == 2 and "cla_ceased.csv" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_chart_labels_with_dollar_signs_stay_text() -> None:
    from triangulate.reports.charts import Series, WaterfallBar, trend_svg, waterfall_svg

    svg = waterfall_svg([WaterfallBar("$x^2$", 5, True), WaterfallBar("bad{$", -1, False)], "Deaths $\\bad{$")
    assert "$x^2$" in svg and "bad{$" in svg
    assert "$a$" in trend_svg([Series("$a$", ((2020.5, 1, 1, 1), (2021.5, 2, 2, 2)))], "t")


def test_every_reconcile_output_agrees_with_its_exit_code(clean_sample: Path, tmp_path: Path) -> None:
    """`reconcile` gates on comparisons only: a failing source check is reported, and does not turn its outputs red."""
    copy_of(clean_sample, tmp_path)
    ncmd = tmp_path / "ncmd" / "ncmd_deaths.csv"
    lines = ncmd.read_text().splitlines()
    fields = lines[5].split(",")
    fields[3] = ""  # sex left blank: missing.sex, an error-severity check
    lines[5] = ",".join(fields)
    ncmd.write_text("\n".join(lines) + "\n")
    outputs = ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml"), "--summary-md", str(tmp_path / "s.md")]
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), *outputs, "--html", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["passed"] is True and document["gate"] == "reconcile"
    assert any(c["id"] == "missing.sex" and c["failed"] for s in document["sources"] for c in s["checks"])
    suites = [s.get("name") for s in ET.parse(tmp_path / "j.xml").getroot().iter("testsuite")]
    assert suites == ["check.dfe_pub", "reconcile"]  # published tables gate `reconcile`; record sources do not
    assert (tmp_path / "s.md").read_text().startswith("## Triangulate: PASS")
    assert "PASS: the release can go ahead" in (tmp_path / "r.html").read_text()
    gated = run_cli("run", str(tmp_path / "release.yaml"), "--out", str(tmp_path / "run"))
    assert gated.returncode == 1
    assert json.loads((tmp_path / "run" / "results.json").read_text())["passed"] is False


@pytest.mark.parametrize(
    ("measures", "fragment"),
    [
        ("measures: []\n", "measures: [] should be non-empty"),
        ("measures:\n  - {id: m, select: {ncmd: {}}, compare: [{left: ncmd, right: csprpx}]}\n", "'csprpx'"),
        ("measures:\n  - {id: m, select: {ncmd: {where: {nature: [death]}}, csprp: {where: {colour: [x]}}}}\n", "'colour'"),
        ("measures:\n  - {id: m, period: {start: 2023-03-31, end: 2022-01-01}, select: {ncmd: {}}}\n", "ends before"),
        ("measures:\n  - {id: m, period: {start: 2022-01-01, end: 2023-03-31, by: x}, select: {ncmd: {}}}\n", "measures[1].period: unknown key 'by'; expected one of end, start"),
        ("measures:\n  - {id: m, select: {ncmd: {}}, trend: [ncmd, csprp, dfe_cla]}\n", "measures[1].trend: ['ncmd', 'csprp', 'dfe_cla'] is too long"),
        ("measures:\n  - {id: m, select: {ncmd: {}}, compare: [{left: ncmd, right: csprp}]}\n", "does not select"),
        ("reference_date: 2023-02-29\n", "not a real date"),
    ],
)
def test_config_mistakes_that_would_compare_nothing_are_exit_2(
    clean_sample: Path, tmp_path: Path, measures: str, fragment: str
) -> None:
    copy_of(clean_sample, tmp_path)
    config = (tmp_path / "release.yaml").read_text()
    config = "\n".join(line for line in config.splitlines() if not line.startswith(("measures:", "reference_date:")))
    (tmp_path / "release.yaml").write_text(config + "\n" + measures)
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "release.yaml: release.yaml" not in result.stderr


def test_issue_example_measure_with_an_explicit_period(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    config = (tmp_path / "release.yaml").read_text().replace("measures: default\n", "")
    config += (
        "measures:\n"
        "  - id: lac_deaths\n"
        "    title: Deaths of looked-after children\n"
        "    period: {start: 2022-01-01, end: 2023-03-31}\n"
        "    select:\n"
        "      dfe_cla: {where: {status: [LAC]}}\n"
        "      ncmd:    {where: {status: [LAC]}}\n"
        "      csprp:   {where: {status: [LAC], nature: [death]}}\n"
        "    compare:\n"
        '      - {left: csprp, right: dfe_cla, relation: ">="}\n'
        '      - {left: ncmd, right: dfe_cla, relation: "==", tolerance: {abs: 2, rel: 0.1}}\n'
    )
    (tmp_path / "release.yaml").write_text(config)
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    national = [c for c in json.loads((tmp_path / "r.json").read_text())["comparisons"] if c["geography"] == "England"]
    assert {c["period"] for c in national} == {"2022-01-01/2023-03-31"} and len(national) == 2
    assert all(c["left_per_12_months"][0] == round(c["left_value"][0] * 12 / 15, 2) for c in national)


def test_published_parts_are_checked_against_their_region_and_england(tmp_path: Path) -> None:
    from triangulate.canonical.published import PublishedSettings, published_rows
    from triangulate.readers.published import read_published
    from triangulate.reconcile.published import PublishedSource, coherence

    head = "time_period,time_identifier,geographic_level,region_name,new_la_code,number\n"
    rows = [
        "202223,Financial year,National,,,30",  # 25-34
        "202223,Financial year,Regional,North East,,10",  # 5-14
        "202223,Financial year,Regional,North West,,20",  # 15-24
        "202223,Financial year,Local authority,North East,E06000047,9",  # County Durham
        "202223,Financial year,Local authority,North East,E08000037,8",  # Gateshead: 17 > 14, incoherent
    ]
    (tmp_path / "p.csv").write_text(head + "\n".join(rows) + "\n")
    frame = published_rows(read_published([tmp_path / "p.csv"]))
    rounding = PublishedSettings({"national": 10, "regional": 10, "local authority": 1})
    checks = coherence("pub", "m", PublishedSource("pub", frame, rounding), {}, "number")
    verdicts = {(c.geography, c.parts): c.coherent for c in checks}
    assert verdicts == {
        ("England", "regional"): True,
        ("England", "local authority"): True,
        ("North East", "local authority"): False,
    }


def test_a_year_missing_from_one_source_is_compared_as_zero(clean_sample: Path, tmp_path: Path) -> None:
    """A source that sent nothing for a year must not make that year's comparison disappear."""
    import csv as csv_module

    copy_of(clean_sample, tmp_path)
    sins = tmp_path / "csprp" / "sins.csv"
    with sins.open(newline="") as handle:
        rows = list(csv_module.reader(handle))
    incident = rows[0].index("incident_date")

    def iso(text: str) -> str:
        return "-".join(reversed(text.split("/"))) if "/" in text else text

    kept = [rows[0], *(row for row in rows[1:] if iso(row[incident]) >= "2022-04-01")]
    with sins.open("w", newline="") as handle:
        csv_module.writer(handle).writerows(kept)
    # An extract's records no longer reach 2021-22, so it is said to cover that year (else it is not compared there).
    config = yaml.safe_load((tmp_path / "release.yaml").read_text())
    config["sources"]["csprp"]["coverage"] = {"from": "2021-04-01", "to": "2023-03-31"}
    (tmp_path / "release.yaml").write_text(yaml.safe_dump(config))
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stdout + result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    first_year = [
        c for c in document["comparisons"]
        if c["measure"] == "lac_deaths" and c["left"] == "csprp" and c["geography"] == "England" and c["period"].startswith("2021-04-01")
    ]  # fmt: skip
    assert len(first_year) == 1 and first_year[0]["left_value"] == [0, 0] and first_year[0]["status"] == "discrepancy"
    unmatched = [u for u in document["unmatched"] if u["left"] == "csprp" and u["period"].startswith("2021-04-01")]
    assert unmatched and unmatched[0]["only_right"]  # the DfE deaths with no notification are listed
