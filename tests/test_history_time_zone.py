"""A PostgreSQL history hands back moments in the session's time zone: `history list` and `history diff` both say
them in UTC, as a SQLite history does (found in the trial of issue 27: diff said 06:02 where list said 14:02)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_cli
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)
from .test_database_sources import plain

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\nN1,C1,E06000001,M,2010-01-01,2020-06-01,LAC\n"


@pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1")
def test_a_postgresql_history_in_another_zone_says_its_moments_in_utc(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    import psycopg

    url = new_database(postgres_url)
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute(f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET timezone TO 'America/Los_Angeles'")
    (tmp_path / "ncmd.csv").write_text(NCMD, encoding="utf-8")
    for label in ("r1", "r2"):
        (tmp_path / "run.yaml").write_text(f"release: {label}\nsources:\n  ncmd: {{kind: ncmd, path: ncmd.csv}}\n", encoding="utf-8")
        assert run_cli("run", str(tmp_path / "run.yaml"), "--history", url, "--out", str(tmp_path / label)).returncode == 0
    assert run_cli("history", "diff", url, "--json", str(tmp_path / "diff.json")).returncode in (0, 1)
    diff = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
    assert diff["from"]["started_at"].endswith("+00:00") and diff["to"]["started_at"].endswith("+00:00"), diff["from"]
    listed = json.loads(run_cli("history", "list", url, "--json").stdout)
    assert {run["started_at"] for run in listed} == {diff["from"]["started_at"], diff["to"]["started_at"]}
