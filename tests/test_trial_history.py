"""A new user's trial of the run history: read-only commands that created databases, and a diff of two failing
runs headed PASS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import one_error_line as _one_error_line
from .conftest import run_cli
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)

NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status"
FAILING_ROW = "N1,,E06000001,Male,2010-01-01,2020-06-01,LAC"  # invalid.sex: the run fails




@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["diff"]])
@pytest.mark.parametrize("given", ["nonexist.db", "sqlite:///nonexist.db", "missing-folder/nonexist.db"])
def test_reading_a_history_that_is_not_there_creates_nothing(tmp_path: Path, command: list[str], given: str) -> None:
    result = run_cli("history", command[0], given, *command[1:], cwd=tmp_path)
    assert _one_error_line(result).endswith(f"no history at {given}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1")
def test_reading_an_empty_postgresql_database_creates_no_tables(request: pytest.FixtureRequest) -> None:
    url = new_database(request.getfixturevalue("postgres_url"))
    for command in ("list", "diff"):
        assert _one_error_line(run_cli("history", command, url)).endswith(f"no history at {url}")
    engine = sa.create_engine(url)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def _failing_runs(tmp_path: Path, history: str) -> None:
    (tmp_path / "n.csv").write_text(f"{NCMD}\n{FAILING_ROW}\n")
    for release in ("2023", "2024"):
        recorded = run_cli("check", "--source", "ncmd", "n.csv", "--history", history, "--release", release, cwd=tmp_path)
        assert recorded.returncode == 1, recorded.stdout + recorded.stderr


def test_recording_a_run_still_creates_a_new_history(tmp_path: Path) -> None:
    _failing_runs(tmp_path, "new.db")
    assert (tmp_path / "new.db").is_file()
    listed = run_cli("history", "list", "new.db", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [run["release"] for run in json.loads(listed.stdout)] == ["2024", "2023"]


def test_a_diff_of_two_failing_runs_is_not_headed_pass(tmp_path: Path) -> None:
    _failing_runs(tmp_path, "h.db")
    result = run_cli("history", "diff", "h.db", "--json", "d.json", "--summary-md", "d.md", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # nothing got worse between the two
    heading = result.stdout.splitlines()[0]
    assert heading.startswith("## Triangulate: release 2024 (run 2): FAIL"), result.stdout
    assert "PASS" not in heading
    assert "Since release 2023 (run 1, FAIL): nothing newly failing, worse or revised beyond tolerance." in result.stdout
    assert (tmp_path / "d.md").read_text().splitlines()[0] == heading
    diff = json.loads((tmp_path / "d.json").read_text())
    assert (diff["from"]["passed"], diff["to"]["passed"], diff["passed"]) == (False, False, True)
