"""Learned tolerances (issue 25, part 3) across six recorded releases, on SQLite and on a real PostgreSQL server: a
compare with `tolerance: learned` applies the declared tolerance (here exact) with a note until the history holds
`min_points` earlier releases of the series, then allows what those releases' differences show, per series key (England
apart from each LA), checked against the formula worked by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import norm

from .conftest import run_cli
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1"))]
HEADER = "time_period,time_identifier,geographic_level,region_code,region_name,old_la_code,new_la_code,la_name,measure,number\n"
PAST_GAPS = {2019: 3, 2020: 2, 2021: 4, 2022: 3, 2023: 3}  # NCMD minus DfE at England in each earlier release
CONFIG = """sources:
  ncmd: {kind: published, path: ncmd.csv, rounding: none}
  dfe: {kind: published, path: dfe.csv, rounding: none}
geographies: [england, local_authority]
measures:
  - id: deaths
    anomaly: off
    select:
      ncmd: {filter: {measure: "Deaths"}}
      dfe: {filter: {measure: "Deaths"}}
    compare:
      - {left: ncmd, right: dfe, tolerance: learned}
"""


def _table(year: int, england: int, camden: int) -> str:
    return (HEADER + f"{year},Reporting year,National,,,,,,Deaths,{england}\n"
            f"{year},Reporting year,Local authority,E13000001,Inner London,202,E09000007,Camden,Deaths,{camden}\n")  # fmt: skip


def _release(folder: Path, url: str, year: int, gap: int, camden_gap: int = 0, config: str = CONFIG) -> tuple[int, dict[str, Any]]:
    """One release's run: NCMD = DfE + gap at England, + camden_gap at Camden; the comparisons by place."""
    (folder / "dfe.csv").write_text(_table(year, 50, 10))
    (folder / "ncmd.csv").write_text(_table(year, 50 + gap, 10 + camden_gap))
    (folder / "run.yaml").write_text(config)
    out = folder / f"{year}.json"
    done = run_cli("reconcile", "--config", str(folder / "run.yaml"), "--history", url, "--release", str(year), "--json", str(out))
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stdout + done.stderr
    return done.returncode, {c["geography"]: c for c in json.loads(out.read_text())["comparisons"]}


def _by_hand(gaps: list[float], level: float = 0.998) -> float:
    """|median| + z x 1.2533 x mean absolute deviation (the MAD of these gaps is 0), worked apart from the tool."""
    ordered = sorted(gaps)
    median = ordered[len(ordered) // 2]
    mean_deviation = sum(abs(g - median) for g in gaps) / len(gaps)
    return abs(median) + norm.ppf(0.5 + level / 2) * 1.2533 * mean_deviation


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


DECLARED_5 = CONFIG.replace("tolerance: learned}", "tolerance: {learned: {}, abs: 5}}")  # nationally 5 meanwhile


def test_six_releases_learn_each_series_own_tolerance(tmp_path: Path, url: str) -> None:
    for n, (year, gap) in enumerate(PAST_GAPS.items()):
        code, places = _release(tmp_path, url, year, gap, config=DECLARED_5)
        england = places["England"]
        assert england["tolerance"]["origin"] == "declared" and england["tolerance"]["points"] == n  # earlier releases only
        assert "fewer than 5" in england["tolerance"]["note"] and england["tolerance"]["abs"] == 5
        assert code == 0 and england["status"] == "within_tolerance"  # the declared 5 until the history knows the series

    code, places = _release(tmp_path, url, 2024, 4, config=DECLARED_5)
    england, camden = places["England"]["tolerance"], places["E09000007"]["tolerance"]
    assert england["origin"] == "learned" and england["points"] == 5 and "note" not in england
    assert england["abs"] == pytest.approx(_by_hand(list(PAST_GAPS.values())), abs=0.005)  # 3 + 3.09 x 1.2533 x 0.4: 4.55
    assert england["rel"] == 0
    assert places["England"]["status"] == "within_tolerance" and code == 0
    assert camden == {"abs": 0.0, "rel": 0.0, "origin": "learned", "points": 5}  # Camden always agreed: it learns exact

    # The same release again with a gap its past never showed, and Camden one death short: both fail.
    code, places = _release(tmp_path, url, 2024, 6, camden_gap=1, config=DECLARED_5)
    assert code == 1 and places["England"]["status"] == "discrepancy" and places["E09000007"]["status"] == "discrepancy"
    assert places["England"]["tolerance"]["points"] == 5  # a re-run of 2024 does not learn from 2024


def test_a_learned_tolerance_falls_back_to_the_declared_one_and_takes_its_own_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    declared = CONFIG.replace("tolerance: learned}", "tolerance: {learned: {min_points: 2, level: 0.95}, abs: 5}}")
    code, places = _release(tmp_path, url, 2019, 3, config=declared)
    assert code == 0 and places["England"]["status"] == "within_tolerance"  # the declared abs 5 applies meanwhile
    assert places["England"]["tolerance"] == {"abs": 5.0, "rel": 0.0, "origin": "declared", "points": 0,
                                              "note": places["England"]["tolerance"]["note"]}  # fmt: skip
    assert places["E09000007"]["tolerance"]["abs"] == 0  # as every single tolerance: national and regional, LAs exact
    _release(tmp_path, url, 2020, 5, config=declared)
    _, places = _release(tmp_path, url, 2021, 4, config=declared)
    learned = places["England"]["tolerance"]
    assert learned["origin"] == "learned" and learned["points"] == 2
    assert learned["abs"] == pytest.approx(4 + norm.ppf(0.975) * 1.4826 * 1.0, abs=0.005)  # median 4, MAD 1 of gaps 3 and 5


def test_without_a_history_a_learned_tolerance_is_the_declared_one_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "dfe.csv").write_text(_table(2024, 50, 10))
    (tmp_path / "ncmd.csv").write_text(_table(2024, 52, 10))
    (tmp_path / "run.yaml").write_text(CONFIG.replace("tolerance: learned}", "tolerance: learned}\n    tolerance: {abs: 2}"))
    done = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "r.json"))
    england = next(c for c in json.loads((tmp_path / "r.json").read_text())["comparisons"] if c["geography"] == "England")
    assert done.returncode == 0 and england["status"] == "within_tolerance"  # the measure's declared abs 2
    assert england["tolerance"]["origin"] == "declared" and england["tolerance"]["points"] == 0


@pytest.mark.parametrize("bad", ["learnt", "{learned: {min_points: 1}}", "{learned: {level: 2}}", "{learned: {}, rell: 1}"])
def test_a_bad_learned_tolerance_is_one_line(tmp_path: Path, bad: str) -> None:
    (tmp_path / "dfe.csv").write_text(_table(2024, 50, 10))
    (tmp_path / "ncmd.csv").write_text(_table(2024, 52, 10))
    (tmp_path / "run.yaml").write_text(CONFIG.replace("tolerance: learned}", f"tolerance: {bad}}}"))
    done = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--json", str(tmp_path / "r.json"))
    assert done.returncode == 2 and "tolerance" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_a_one_sided_relation_learns_the_shortfall_its_past_allows(tmp_path: Path) -> None:
    """NCMD always 10 above DfE under `>=`: the past allows no shortfall, so NCMD 11 below DfE is a discrepancy (a
    symmetric band of |10| + 3.09 sigma would have let it through)."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    at_least = CONFIG.replace("{left: ncmd, right: dfe, tolerance: learned}", '{left: ncmd, right: dfe, relation: ">=", tolerance: learned}')
    for year, gap in zip(range(2019, 2024), (10, 9, 11, 10, 10), strict=True):
        _release(tmp_path, url, year, gap, config=at_least)
    code, places = _release(tmp_path, url, 2024, -11, config=at_least)
    assert places["England"]["tolerance"]["origin"] == "learned" and places["England"]["tolerance"]["abs"] == 0
    assert code == 1 and places["England"]["status"] == "discrepancy"


def test_publish_withholds_an_las_learned_tolerance_and_shows_englands(tmp_path: Path) -> None:
    """Camden's sources always agreed: its learned tolerance is exactly 0, which says two figures a published output
    shows as `c` were equal; so below England's level a published output withholds a learned tolerance, in the JSON
    and in words. England's (learned from hundreds) is shown."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    for year in range(2019, 2024):
        _release(tmp_path, url, year, 3, config=DECLARED_5)
    (tmp_path / "ncmd.csv").write_text(_table(2024, 53, 3))
    (tmp_path / "dfe.csv").write_text(_table(2024, 50, 3))
    out = tmp_path / "published.json"
    done = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--history", url, "--release", "2024", "--publish",
                   "--json", str(out), "--summary-md", str(tmp_path / "p.md"))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    places = {c["geography"]: c for c in json.loads(out.read_text())["comparisons"]}
    camden, england = places["E09000007"]["tolerance"], places["England"]["tolerance"]
    assert camden["abs"] == "withheld" and camden["origin"] == "learned" and camden["points"] == 5
    assert england["abs"] == 3.0 and england["origin"] == "learned"
    words = (tmp_path / "p.md").read_text() + done.stdout
    assert "exactly (learned" not in words and "within 0 (learned" not in words


def test_a_discrepancy_that_blocked_is_not_learned_and_an_acknowledged_one_is(tmp_path: Path) -> None:
    """Camden one death short in two releases that failed for it: a learned tolerance must not take that as normal (a
    missing death would then pass). Acknowledged, the same difference is a known one, and is learned."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    settings = CONFIG.replace("tolerance: learned}", "tolerance: {learned: {min_points: 2}}}")
    for year, short in ((2019, 1), (2020, 0), (2021, 1), (2022, 0)):
        _release(tmp_path, url, year, 0, camden_gap=-short, config=settings)
    code, places = _release(tmp_path, url, 2023, 0, camden_gap=-1, config=settings)
    camden = places["E09000007"]
    assert camden["tolerance"] == {"abs": 0.0, "rel": 0.0, "origin": "learned", "points": 2}  # 2020 and 2022 only
    assert code == 1 and camden["status"] == "discrepancy"

    done = run_cli("acknowledge", str(tmp_path / "2023.json"), "--reason", "NCMD notified late", "--owner", "steward",
                   "--file", str(tmp_path / "acks.yaml"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    (tmp_path / "run.yaml").write_text(settings + f"acknowledgements: {tmp_path / 'acks.yaml'}\n")
    rerun = run_cli("reconcile", "--config", str(tmp_path / "run.yaml"), "--history", url, "--release", "2023",
                    "--json", str(tmp_path / "again.json"))  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    _, places = _release(tmp_path, url, 2024, 0, camden_gap=-1, config=settings)
    assert places["E09000007"]["tolerance"]["points"] == 3  # 2023's acknowledged difference now counts
