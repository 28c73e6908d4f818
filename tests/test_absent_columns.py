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


def test_a_tables_own_rule_on_an_absent_column_still_says_what_it_found(tmp_path: Path) -> None:
    """CSPRP's missing.date_of_birth reads age_years too: without a date_of_birth column it runs, and fails a
    notification with neither (the review found it reported not run, and the run passing)."""
    header = "sin_id,child_id,la_code,incident_date,notification_date,age_years,sex,nature,looked_after,cpp,cin,abuse_neglect,likely_cause"
    row = "S1,,E06000001,2020-06-01,2020-06-03,,M,death,current,never,never,known,"
    (tmp_path / "sins.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    result = run_cli("check", "--source", "csprp", str(tmp_path / "sins.csv"), "--reference-date", "2024-03-31",
                     "--json", str(tmp_path / "r.json"))  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert _checks(tmp_path / "r.json")["missing.date_of_birth"]["status"] == "failed"


def test_merging_pieces_a_check_ran_if_it_ran_on_any_piece_in_either_order() -> None:
    from triangulate.pipeline.check import Failures

    def piece(*, not_run: bool = False, crashed: bool = False) -> Failures:
        failures = Failures()
        failures.ran("invalid.sex")
        if not_run:
            failures.not_run["invalid.sex"] = "no sex column"
        if crashed:
            failures.crashed["invalid.sex"] = "boom"
        return failures

    for first, second, expected in ((True, True, True), (True, False, False), (False, True, False), (False, False, False)):
        merged = Failures()
        merged.merge(piece(not_run=first))
        merged.merge(piece(not_run=second))
        assert ("invalid.sex" in merged.not_run) is expected, (first, second)
    crashed = Failures()
    for part in (piece(not_run=True), piece(crashed=True)):
        crashed.merge(part)
    assert "invalid.sex" in crashed.crashed  # a crash wins: the outcome's status reads crashed first
