"""A source is counted only in the periods it covers: a single year's return or a census is not compared as zero
in the years it cannot have seen (declared `coverage:`, or a CIN census's collection year from its headers)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from triangulate.domain.periods import census_year, covers, financial_year, merged_spans

from .conftest import copy_of, run_cli

FIRST, SECOND = "2021-04-01", "2022-04-01"  # the clean sample's two financial years start on these days


def _reconciled(folder: Path) -> dict:
    result = run_cli("reconcile", "--config", str(folder / "release.yaml"), "--json", str(folder / "r.json"))
    assert result.returncode in (0, 1), result.stderr
    return json.loads((folder / "r.json").read_text())


def _periods(document: dict, measure: str, source: str) -> set[str]:
    return {c["period"][:10] for c in document["comparisons"]
            if c["measure"] == measure and source in (c["left"], c["right"]) and c["geography"] == "England"}  # fmt: skip


def test_a_declared_coverage_leaves_the_other_years_uncompared_not_zero(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    before = _reconciled(tmp_path)
    assert _periods(before, "lac_deaths", "csprp") == {FIRST, SECOND}  # with no coverage: every year
    config = yaml.safe_load((tmp_path / "release.yaml").read_text())
    config["sources"]["csprp"]["coverage"] = {"from": SECOND, "to": "2023-03-31"}
    (tmp_path / "release.yaml").write_text(yaml.safe_dump(config))
    after = _reconciled(tmp_path)
    assert _periods(after, "lac_deaths", "csprp") == {SECOND}
    assert _periods(after, "lac_deaths", "ncmd") == {FIRST, SECOND}  # the others are still compared in both years
    kept = [c for c in after["comparisons"] if c["period"].startswith(SECOND) and "csprp" in (c["left"], c["right"])]
    assert kept == [c for c in before["comparisons"] if c["period"].startswith(SECOND) and "csprp" in (c["left"], c["right"])]
    assert not [u for u in after["unmatched"] if "csprp" in (u["left"], u["right"]) and u["period"].startswith(FIRST)]
    assert not [b for b in after["bridges"] if b["source"] == "csprp" and b["period"].startswith(FIRST)]
    assert any(n.startswith("csprp: covers 2022-23 only") for n in after["notes"])
    csprp = next(s for s in after["sources"] if s["name"] == "csprp")
    assert csprp["coverage"] == [[SECOND, "2023-03-31"]]


def test_a_single_census_covers_its_collection_year_only(clean_sample: Path, tmp_path: Path) -> None:
    copy_of(clean_sample, tmp_path)
    years = sorted(p for p in (tmp_path / "cin").iterdir() if p.is_dir())
    assert len(years) == 2
    shutil.rmtree(years[0])  # the earlier census is not in this release
    document = _reconciled(tmp_path)
    assert _periods(document, "cin_deaths", "dfe_cin") == {SECOND}
    assert _periods(document, "cin_deaths", "ncmd") == {SECOND}  # ncmd is compared with nothing else there
    cin = next(s for s in document["sources"] if s["name"] == "dfe_cin")
    assert cin["coverage"] == [[SECOND, "2023-03-31"]]


@pytest.mark.parametrize(
    ("coverage", "fragment"),
    [
        ("2022-23", "sources.csprp.coverage: '2022-23' is not of type 'object'"),
        ("{from: 2023-03-31, to: 2022-04-01}", "must be a date on or before to"),
        ("{from: 2022-04-01}", "sources.csprp.coverage"),
        ("{from: 2022-04-01, to: 31/02/2023}", "sources.csprp.coverage.to: '31/02/2023' is not a YYYY-MM-DD date"),
    ],
)
def test_a_malformed_coverage_is_one_line_exit_2(clean_sample: Path, tmp_path: Path, coverage: str, fragment: str) -> None:
    copy_of(clean_sample, tmp_path)
    text = (tmp_path / "release.yaml").read_text()
    text = text.replace("csprp: {kind: csprp, path: csprp/sins.csv}", f"csprp: {{kind: csprp, path: csprp/sins.csv, coverage: {coverage}}}")
    assert "coverage" in text
    (tmp_path / "release.yaml").write_text(text)
    result = run_cli("reconcile", "--config", str(tmp_path / "release.yaml"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 2 and fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "r.json").exists()


def test_census_years_and_spans() -> None:
    assert census_year(dt.date(2023, 3, 31)) == (dt.date(2022, 4, 1), dt.date(2023, 3, 31))
    spans = merged_spans([census_year(dt.date(2023, 3, 31)), census_year(dt.date(2022, 3, 31)), census_year(dt.date(2020, 3, 31))])
    assert spans == ((dt.date(2019, 4, 1), dt.date(2020, 3, 31)), (dt.date(2021, 4, 1), dt.date(2023, 3, 31)))
    assert covers(spans, financial_year(2023)) and covers(spans, financial_year(2020))
    assert not covers(spans, financial_year(2021))  # the gap: no census for 2020-21
    assert covers((), financial_year(2021))  # not known: every period


def test_one_las_return_is_compared_for_that_la_only(clean_sample: Path, tmp_path: Path) -> None:
    """An SSDA903 return declared as one LA's (`la_code:`) is not England's figure: compared at that LA only."""
    import pandas as pd

    copy_of(clean_sample, tmp_path)
    before = _reconciled(tmp_path)
    header = pd.read_csv(tmp_path / "ssda903" / "header.csv", dtype=str, keep_default_na=False)
    episodes = pd.read_csv(tmp_path / "ssda903" / "episodes.csv", dtype=str, keep_default_na=False)
    died = episodes.loc[episodes["REC"] == "E2", "CHILD"]
    old_code = header.loc[header["CHILD"].isin(died), "LA"].value_counts().index[0]  # the LA with most deaths
    children = header.loc[header["LA"] == old_code, "CHILD"]
    header.loc[header["LA"] == old_code].drop(columns="LA").to_csv(tmp_path / "ssda903" / "header.csv", index=False)
    episodes.loc[episodes["CHILD"].isin(children)].to_csv(tmp_path / "ssda903" / "episodes.csv", index=False)
    config = yaml.safe_load((tmp_path / "release.yaml").read_text())
    config["sources"]["dfe_cla"]["la_code"] = old_code
    (tmp_path / "release.yaml").write_text(yaml.safe_dump(config))
    after = _reconciled(tmp_path)
    from triangulate.domain.geography import ons_code

    la = ons_code(old_code)
    with_cla = [c for c in after["comparisons"] if "dfe_cla" in (c["left"], c["right"])]
    assert with_cla and {c["geography"] for c in with_cla} == {la}  # never England, a region, or another LA
    was = {(c["measure"], c["period"], c["left"], c["right"]): c["right_value"] for c in before["comparisons"] if c["geography"] == la}
    for c in with_cla:  # the LA's figure is what it was when the return was part of a national extract
        assert c["right_value"] == was[(c["measure"], c["period"], c["left"], c["right"])]
    assert any(n.startswith("dfe_cla: one LA's return") for n in after["notes"])
    # Linked against that LA's deaths only: the deaths both have are the LA's, and none elsewhere is "only in ncmd".
    linked = [u for u in after["unmatched"] if (u["left"], u["right"]) == ("ncmd", "dfe_cla") and u["measure"] == "lac_deaths"]
    assert linked
    def count(value: int | list) -> int:
        return len(value) if isinstance(value, list) else value

    for u in linked:
        u = {key: count(value) if key in ("only_left", "only_right", "period_shifts") else value for key, value in u.items()}
        at_la = next(c for c in with_cla if (c["left"], c["measure"], c["period"]) == ("ncmd", "lac_deaths", u["period"]))
        assert u["matched"] + u["only_left"] + u["period_shifts"] >= at_la["left_value"][0]
        assert u["matched"] + u["only_left"] <= at_la["left_value"][0] + u["period_shifts"]
