"""A series band reaches back through the run history (issue 25, part 1): a published table that carries only its last
two years is extended by the years earlier releases held, so the band has enough past, while the table's own figure
for a year wins over an earlier release's (a revision)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1"))]
HEADER = "time_period,time_identifier,geographic_level,region_code,region_name,old_la_code,new_la_code,la_name,measure,number\n"
ENGLAND = {2018: 52, 2019: 50, 2020: 50, 2021: 60, 2022: 40, 2023: 60}  # the worked example's past: a band of about 34 to 70
CONFIG = """sources:
  dfe: {kind: published, path: dfe.csv, rounding: none}
geographies: [england]
measures:
  - id: deaths
    anomaly: {level: 0.95}
    select:
      dfe: {filter: {measure: "Deaths"}}
"""


def _release(folder: Path, url: str | None, year: int, figures: dict[int, int]) -> dict[str, Any]:
    """Release `year`: a table of its own year and the one before; England's anomaly."""
    rows = "".join(f"{y},Reporting year,National,,,,,,Deaths,{figures[y]}\n" for y in (year - 1, year))
    (folder / "dfe.csv").write_text(HEADER + rows)
    (folder / "run.yaml").write_text(CONFIG)
    out = folder / f"{year}.json"
    more = ("--history", url, "--release", str(year)) if url else ()
    done = run_cli("reconcile", "--config", str(folder / "run.yaml"), "--json", str(out), *more)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    return next(a for a in json.loads(out.read_text())["anomalies"] if a["geography"] == "England")


@pytest.mark.parametrize("backend", BACKENDS)
def test_earlier_releases_extend_a_short_series(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}" if backend == "sqlite" else new_database(request.getfixturevalue("postgres_url"))
    alone = _release(tmp_path, None, 2024, {**ENGLAND, 2024: 80})
    assert alone["status"] == "not_enough_history" and alone["points"] == 1  # its own table holds one earlier year

    for year in range(2019, 2024):
        _release(tmp_path, url, year, ENGLAND)
    found = _release(tmp_path, url, 2024, {**ENGLAND, 2024: 80})
    assert found["points"] == 6 and found["status"] == "above"  # 2018-2022 from the history, 2023 from its own table
    assert 30 < found["band"][0] < 40 and 65 < found["band"][1] < 75

    # The 2024 table revises 2023 to 75: its own figure is the series' 2023, not the 2023 release's 60.
    revised = _release(tmp_path, url, 2024, {**ENGLAND, 2023: 75, 2024: 80})
    assert revised["band"] != found["band"] and revised["points"] == 6


def test_a_history_point_later_than_the_tables_own_latest_is_never_the_tested_point(tmp_path: Path) -> None:
    """A history backfilled out of order: release 2025 recorded first, then 2022's table. The tested point is 2022's
    own figure; 2025's later years are not part of its past."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    figures = {**ENGLAND, 2024: 500, 2025: 510}
    _release(tmp_path, url, 2025, figures)
    found = _release(tmp_path, url, 2022, figures)
    assert found["value"] == [40, 40] and found["points"] == 1  # 2022's own figure, with only 2021 (its table) before it
