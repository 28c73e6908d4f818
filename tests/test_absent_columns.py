"""A check on an optional column the source does not have (or a database role may not read) did not run: it is
`not_run`, saying why, never `passed` on a column of blanks standing in for it (found in the trial of issue 27).
Over several files it ran if it ran on any of them."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import run_cli

HEADER = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status"
ROW = "N1,C1,E06000001,M,2010-01-01,2020-06-01,LAC"


def _checks(result_path: Path) -> dict[str, dict]:
    results = json.loads(result_path.read_text(encoding="utf-8"))
    (source,) = results["sources"] if "sources" in results else [results]
    return {check["id"]: check for check in source["checks"]}


def test_a_check_on_a_column_the_extract_lacks_did_not_run(tmp_path: Path) -> None:
    (tmp_path / "ncmd.csv").write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    result = run_cli("check", "--source", "ncmd", str(tmp_path / "ncmd.csv"), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr  # not run never blocks
    checks = _checks(tmp_path / "r.json")
    assert checks["invalid.primary_category"]["status"] == "not_run"
    assert "no primary_category column" in checks["invalid.primary_category"]["reason"]
    assert checks["invalid.sex"]["status"] == "passed"  # a column it has: ran


def test_over_several_files_a_check_ran_if_any_file_has_its_column(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(f"{HEADER},primary_category\nN2,C2,E06000001,F,2011-01-01,2021-06-01,LAC,99\n", encoding="utf-8")
    for order in (("a.csv", "b.csv"), ("b.csv", "a.csv")):
        result = run_cli("check", "--source", "ncmd", *(str(tmp_path / name) for name in order), "--json", str(tmp_path / "r.json"))
        assert result.returncode == 1, result.stderr
        assert _checks(tmp_path / "r.json")["invalid.primary_category"]["status"] == "failed"  # 99 is no category
