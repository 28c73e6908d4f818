"""Issue 20 at the engine: deaths missing from a source are findings of three kinds, LA tolerances are exact, a measure
no death falls in compares 0 with 0, and every source of a kind a measure selects is compared."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from triangulate.canonical.records import death_records
from triangulate.config.measures import parse_measures, tolerances_of
from triangulate.domain.places import PlacesCovered
from triangulate.errors import ConfigError
from triangulate.reconcile.engine import reconcile

BRADFORD, LEEDS = "E08000032", "E08000035"
KINDS = {"cla": "ssda903", "ncmd": "ncmd"}
REFERENCE = dt.date(2023, 3, 31)


def deaths(source: str, rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """rows: (record id, date of birth, date of death, status, LA)."""
    column = lambda n: pd.Series([row[n] for row in rows], dtype=object)  # noqa: E731
    return death_records(
        source=source,
        record_id=column(0),
        child_key=column(0),
        location=column(0),
        birth_date=column(1),
        death_date=column(2),
        sex=pd.Series(["F"] * len(rows), dtype=object),
        la_code=column(4),
        status=column(3),
        reference_date=pd.Timestamp(REFERENCE),
        child_id=pd.Series([None] * len(rows), dtype=object),
    )


def measures(missing: str = "error", tolerance: str = "{abs: 2, rel: 0.1}") -> tuple:
    import yaml

    return parse_measures(yaml.safe_load(f"""
- id: lac_deaths
  missing: {missing}
  select: {{ssda903: {{where: {{status: [LAC]}}}}, ncmd: {{where: {{status: [LAC]}}}}}}
  compare: [{{left: ncmd, right: ssda903, relation: "==", tolerance: {tolerance}}}]
- id: cpp_deaths
  select: {{ssda903: {{where: {{status: [CPP]}}}}, ncmd: {{where: {{status: [CPP]}}}}}}
  compare: [{{left: ncmd, right: ssda903, relation: "=="}}]
"""))


CLA = [
    ("A1", "2010-01-01", "2022-05-01", "LAC", BRADFORD),  # in ncmd too
    ("A2", "2011-01-01", "2022-06-01", "LAC", BRADFORD),  # absent from ncmd altogether
    ("A3", "2012-01-01", "2022-07-01", "LAC", BRADFORD),  # in ncmd, but as a child in need
    ("A4", "2013-01-01", "2022-08-01", "LAC", LEEDS),  # in ncmd, within the week
]
NCMD = [
    ("N1", "2010-01-01", "2022-05-02", "LAC", BRADFORD),
    ("N3", "2012-01-01", "2022-07-01", "CIN", BRADFORD),
    ("N4", "2013-01-01", "2022-08-03", "LAC", LEEDS),
]


def run(cla: list, ncmd: list, **options: object) -> object:
    frames = {"cla": deaths("cla", cla), "ncmd": deaths("ncmd", ncmd)}
    return reconcile(frames, KINDS, {}, options.pop("measures", measures()), reference_date=REFERENCE, **options)  # type: ignore[arg-type]


def test_a_death_with_no_record_in_the_other_source_is_missing_and_blocks() -> None:
    result = run(CLA, NCMD)
    absent = [(g.source, g.absent_from, g.geography, g.record_ids, g.severity) for g in result.absent]
    assert absent == [("cla", "ncmd", BRADFORD, ("A2",), "error")]
    elsewhere = [(g.kind, g.record_ids) for g in result.missing if g.kind != "absent"]
    assert elsewhere == [("other_status", ("A3",))]
    assert not result.passed
    # Nationally the counts are within tolerance (2 against 4), so only the missing death fails the gate.
    national = next(c for c in result.comparisons if c.measure == "lac_deaths" and c.geography == "England")
    assert national.status == "within_tolerance"


def test_missing_warning_reports_but_does_not_block() -> None:
    result = run(CLA[:2], NCMD[:1], measures=measures(missing="warning"))
    assert [g.record_ids for g in result.absent] == [("A2",)] and result.absent[0].severity == "warning"
    assert [c.status for c in result.comparisons if c.geography == BRADFORD and c.measure == "lac_deaths"] == ["discrepancy"]


def test_a_death_dated_in_another_period_is_a_shift_not_missing() -> None:
    cla = [CLA[0], ("A2", "2011-01-01", "2022-04-02", "LAC", BRADFORD)]  # 2022-23
    ncmd = [NCMD[0], ("N2", "2011-01-01", "2022-03-30", "CIN", BRADFORD)]  # three days earlier: 2021-22
    result = run(cla, ncmd)
    assert [(g.kind, g.record_ids) for g in result.missing] == [("other_period", ("A2",))]
    assert not result.absent


def test_local_authorities_compare_exactly_under_a_national_tolerance() -> None:
    result = run(CLA[:2], NCMD[:1])  # Bradford: 1 against 2
    at = {(c.geography, c.measure): c for c in result.comparisons if c.period.startswith("2022-04-01")}
    assert at[("England", "lac_deaths")].status == "within_tolerance"
    assert at[("England", "lac_deaths")].tolerance == {"abs": 2.0, "rel": 0.1, "origin": "declared", "points": None}
    assert at[(BRADFORD, "lac_deaths")].status == "discrepancy"
    assert at[(BRADFORD, "lac_deaths")].tolerance == {"abs": 0.0, "rel": 0.0, "origin": "declared", "points": None}
    widened = run(CLA[:2], NCMD[:1], measures=measures(missing="warning", tolerance="{national: {abs: 2}, local authority: {abs: 1}}"))
    assert next(c for c in widened.comparisons if c.geography == BRADFORD and c.measure == "lac_deaths").status == "within_tolerance"


def test_a_measure_no_death_falls_in_compares_zero_with_zero() -> None:
    result = run(CLA[:1], NCMD[:1])
    assert not result.empty
    cpp = [c for c in result.comparisons if c.measure == "cpp_deaths" and c.geography == "England"]
    assert [(c.left_value.to_list(), c.right_value.to_list(), c.status) for c in cpp] == [([0, 0], [0, 0], "agree")]


def test_every_source_of_a_kind_is_compared() -> None:
    frames = {"cla": deaths("cla", CLA[:1]), "ncmd": deaths("ncmd", NCMD[:1]), "ncmd_again": deaths("ncmd_again", NCMD[:1])}
    kinds = {**KINDS, "ncmd_again": "ncmd"}
    result = reconcile(frames, kinds, {}, measures(), reference_date=REFERENCE)
    assert {c.left for c in result.comparisons} == {"ncmd", "ncmd_again"}


def test_an_la_return_is_linked_and_counted_at_its_las_only() -> None:
    ncmd = [*NCMD, ("N9", "2014-01-01", "2022-09-01", "LAC", LEEDS)]  # a Leeds death the Bradford return cannot have
    result = run(CLA[:3], ncmd, las={"cla": PlacesCovered.one([BRADFORD])})
    assert {c.geography for c in result.comparisons} == {BRADFORD}
    assert [g.record_ids for g in result.absent] == [("A2",)]  # nothing of Leeds is missing from the Bradford return


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"abs": 5, "rel": 0.05}, {"england": 5.0, "region": 5.0, "local_authority": 0.0}),
        ({"national": {"abs": 5}, "local authority": {"abs": 1}}, {"england": 5.0, "region": 0.0, "local_authority": 1.0}),
        (None, {"england": 0.0, "region": 0.0, "local_authority": 0.0}),
    ],
)
def test_tolerances_by_level(node: object, expected: dict[str, float]) -> None:
    assert {level: t["abs"] for level, t in tolerances_of(node, "here").items()} == expected


def test_a_tolerance_naming_an_unknown_level_is_refused() -> None:
    with pytest.raises(ConfigError, match="tolerance takes abs and rel, or levels"):
        tolerances_of({"county": {"abs": 1}}, "here")


def test_a_year_missing_one_las_census_is_not_englands_figure_that_year(clean_sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A national census with one LA's file missing in one year: that year is compared at the LAs present only (no
    England or region figure, no 'missing from the census' for the LA whose file is absent); other years are national."""
    import json

    from .conftest import copy_of, run_cli

    copy_of(clean_sample, tmp_path)
    years = sorted(p for p in (tmp_path / "cin").iterdir() if p.is_dir())
    dropped = sorted(years[-1].glob("*.xml"))[0]
    lea = dropped.stem.rsplit("_", 1)[-1]
    dropped.unlink()
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode in (0, 1), result.stderr
    document = json.loads((tmp_path / "r.json").read_text())
    from triangulate.domain.geography import ons_code

    la = ons_code(lea)
    with_cin = [c for c in document["comparisons"] if "dfe_cin" in (c["left"], c["right"])]
    last = {c["geography"] for c in with_cin if c["period"].endswith(years[-1].name + "-03-31")}
    first = {c["geography"] for c in with_cin if c["period"].endswith(years[0].name + "-03-31")}
    assert "England" in first and la in first
    assert "England" not in last and la not in last and last  # the other LAs are still compared that year
    assert not [m for m in document["missing"] if m["geography"] == la and "dfe_cin" in (m["source"], m["absent_from"])
                and m["period"].endswith(years[-1].name + "-03-31")]  # fmt: skip
    assert any(n.startswith("dfe_cin: ") and "compared there only" in n for n in document["notes"])


def test_selecting_on_a_column_a_source_never_records_is_refused_not_zero() -> None:
    """SSDA903 records carry no NCMD category: `where: {category: [1]}` would compare 0 with 0 for ever and pass."""
    import yaml

    measure = parse_measures(yaml.safe_load("""
- id: m
  select: {ssda903: {where: {category: ["1"]}}, ncmd: {where: {category: ["1"]}}}
  compare: [{left: ncmd, right: ssda903, relation: "=="}]
"""))
    with pytest.raises(ConfigError, match="never have a category"):
        run(CLA, NCMD, measures=measure)
    assert any("never have a category" in n for n in run(CLA, NCMD, measures=measure, strict=False).notes)


def test_a_death_the_other_source_places_in_another_la_is_not_absent() -> None:
    """A looked-after child placed out of area: the NCMD records the death under the LA of residence."""
    ncmd = [NCMD[0], ("N2", "2011-01-01", "2022-06-01", "LAC", LEEDS)]
    result = run(CLA[:2], ncmd, las={"cla": PlacesCovered.one([BRADFORD])})
    assert [(g.kind, g.record_ids) for g in result.missing] == [("other_la", ("A2",))]
    assert not result.absent
