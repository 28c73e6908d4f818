"""A new user's trial of published EES tables: checks with nothing to check, duplicate rows, old LA codes, `low`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from triangulate.domain.cells import from_published
from triangulate.domain.intervals import Interval

from .conftest import run_cli

NATIONAL_HEADER = "time_period,time_identifier,geographic_level,measure,number\n"
LA_HEADER = "time_period,time_identifier,geographic_level,region_code,region_name,old_la_code,new_la_code,la_name,measure,number\n"
DFE_ROUNDING = "{national: 10, regional: 10, local authority: 1}"


def _la(old: str, new: str, name: str, number: str) -> str:
    return f"2020,Reporting year,Local authority,E13000001,Inner London,{old},{new},{name},Deaths,{number}\n"


def _national(number: str) -> str:
    return f"2020,Reporting year,National,,,,,,Deaths,{number}\n"


def _two_tables(tmp_path: Path, left: list[str], right: list[str], rounding: str = "none", header: str = LA_HEADER) -> Path:
    """Two published tables of one measure, compared `==` with no tolerance, England and LAs."""
    (tmp_path / "left.csv").write_text(header + "".join(left))
    (tmp_path / "right.csv").write_text(header + "".join(right))
    config = tmp_path / "run.yaml"
    config.write_text(
        f"sources:\n  left: {{kind: published, path: left.csv, rounding: {rounding}}}\n"
        "  right: {kind: published, path: right.csv, rounding: none}\n"
        "geographies: [england, local_authority]\n"
        "measures:\n  - id: deaths\n    select:\n"
        '      left: {filter: {measure: "Deaths"}}\n      right: {filter: {measure: "Deaths"}}\n'
        '    compare: [{left: left, right: right, relation: "=="}]\n'
    )
    return config


def _reconciled(tmp_path: Path, config: Path) -> tuple[int, dict[str, Any], str]:
    result = run_cli("reconcile", "--config", str(config), "--json", str(tmp_path / "r.json"))
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads((tmp_path / "r.json").read_text()), result.stdout


def _checks(document: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    found = next(s for s in document["sources"] if s["name"] == source)
    return {c["id"]: c for c in found["checks"]}


def _comparisons(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["geography"]: c for c in document["comparisons"]}


# 1. A check with nothing to check is not run, never passed; not run does not fail the gate.


def test_a_national_file_without_rates_has_its_rate_and_coherence_checks_not_run(tmp_path: Path) -> None:
    config = _two_tables(tmp_path, ["2020,Reporting year,National,Deaths,25\n"], ["2020,Reporting year,National,Deaths,25\n"],
                         header=NATIONAL_HEADER)  # fmt: skip
    result = run_cli("check", "--source", "published", str(tmp_path / "left.csv"), "--config", str(config),
                     "--json", str(tmp_path / "c.json"))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["id"]: c for c in json.loads((tmp_path / "c.json").read_text())["checks"]}
    rates, sums = checks["published.rate_inconsistent"], checks["published.incoherent"]
    assert rates["status"] == "not_run" and rates["reason"] == "no rates declared for this source"
    assert sums["status"] == "not_run" and sums["reason"] == "no whole with its parts in this file"
    assert checks["published.unreadable"]["status"] == "passed" and checks["published.rounding"]["status"] == "passed"
    assert "NOT RUN" in result.stdout and "all 4 checks passed" not in result.stdout


def test_published_checks_not_run_do_not_fail_a_reconcile(tmp_path: Path) -> None:
    config = _two_tables(tmp_path, ["2020,Reporting year,National,Deaths,25\n"], ["2020,Reporting year,National,Deaths,25\n"],
                         header=NATIONAL_HEADER)  # fmt: skip
    code, document, _ = _reconciled(tmp_path, config)
    assert code == 0 and document["passed"] is True
    assert _checks(document, "left")["published.incoherent"]["status"] == "not_run"
    assert _comparisons(document)["England"]["status"] == "agree"


# 2. Duplicate rows.


def test_duplicate_rows_that_disagree_fail_and_are_not_compared(tmp_path: Path) -> None:
    left = [_la("202", "E09000007", "Camden", "7"), _la("202", "E09000007", "Camden", "12"), _la("206", "E09000019", "Islington", "3")]
    right = [_la("202", "E09000007", "Camden", "7"), _la("206", "E09000019", "Islington", "3")]
    config = _two_tables(tmp_path, left, right)
    code, document, _ = _reconciled(tmp_path, config)
    assert code == 1 and document["passed"] is False
    duplicate = _checks(document, "left")["published.duplicate"]
    assert duplicate["status"] == "failed" and duplicate["severity"] == "error"
    assert duplicate["locations"] == ["left.csv:2", "left.csv:3"]
    assert all("Camden (E09000007) 2019-20" in cell for cell in duplicate["record_ids"])
    assert _checks(document, "right")["published.duplicate"]["status"] == "passed"
    comparisons = _comparisons(document)
    assert comparisons["E09000007"]["status"] == "not_comparable"  # neither 7 nor 12 is taken as the figure
    assert comparisons["E09000019"]["status"] == "agree"
    result = run_cli("check", "--source", "published", str(tmp_path / "left.csv"), "--config", str(config))
    assert result.returncode == 1 and "published.duplicate" in result.stdout and "left.csv:3" in result.stdout


def test_disagreeing_duplicates_are_not_summed_twice_into_a_whole(tmp_path: Path) -> None:
    left = [_national("10"), _la("202", "E09000007", "Camden", "7"), _la("202", "E09000007", "Camden", "12")]
    header = LA_HEADER
    config = _two_tables(tmp_path, left, [_national("10")], header=header)
    code, document, _ = _reconciled(tmp_path, config)
    checks = _checks(document, "left")
    assert checks["published.duplicate"]["status"] == "failed"
    assert checks["published.incoherent"]["status"] == "passed"  # 7 + 12 = 19 > 10 would be a finding of the duplicate
    assert code == 1


def test_identical_duplicate_rows_stay_a_note(tmp_path: Path) -> None:
    left = [_la("202", "E09000007", "Camden", "7"), _la("202", "E09000007", "Camden", "7")]
    code, document, _ = _reconciled(tmp_path, _two_tables(tmp_path, left, [_la("202", "E09000007", "Camden", "7")]))
    assert code == 0, document
    assert _checks(document, "left")["published.duplicate"]["status"] == "passed"
    assert _comparisons(document)["E09000007"]["status"] == "agree"
    assert any("left: several identical rows" in note for note in document["notes"])


# 3. DfE's 3-digit LA codes.


def test_an_old_la_code_alone_is_compared_under_its_ons_code(tmp_path: Path) -> None:
    config = _two_tables(tmp_path, [_la("206", "", "Islington", "3")], [_la("206", "E09000019", "Islington", "3")])
    code, document, _ = _reconciled(tmp_path, config)
    assert code == 0, document
    assert set(_comparisons(document)) == {"E09000019"} and _comparisons(document)["E09000019"]["status"] == "agree"


def test_an_old_la_code_not_on_the_list_fails_and_is_not_compared(tmp_path: Path) -> None:
    config = _two_tables(tmp_path, [_la("999", "", "Nowhere", "3"), _la("206", "", "Islington", "3")],
                         [_la("206", "E09000019", "Islington", "3")])  # fmt: skip
    code, document, _ = _reconciled(tmp_path, config)
    assert code == 1
    invalid = _checks(document, "left")["invalid.old_la_code"]
    assert invalid["status"] == "failed" and invalid["locations"] == ["left.csv:2"]
    assert invalid["record_ids"] == ["old_la_code: '999'"]
    assert set(_comparisons(document)) == {"E09000019"}


# 4. `low`: rounds to zero but is not zero.


def test_low_is_a_count_of_one_up_to_what_rounds_to_zero() -> None:
    assert from_published("low", 10) == Interval(1, 4)
    assert from_published("k", 5) == Interval(1, 2)
    assert from_published("low", 1) is None  # only 0 rounds to 0: `low` contradicts the declared rounding
    assert from_published("low", 2) is None


def test_low_in_an_exact_la_count_is_a_rounding_failure_and_never_agrees_with_zero(tmp_path: Path) -> None:
    config = _two_tables(tmp_path, [_la("202", "E09000007", "Camden", "low")], [_la("202", "E09000007", "Camden", "0")],
                         rounding=DFE_ROUNDING)  # fmt: skip
    code, document, _ = _reconciled(tmp_path, config)
    assert code == 1
    rounding = _checks(document, "left")["published.rounding"]
    assert rounding["status"] == "failed" and rounding["locations"] == ["left.csv:2"] and rounding["record_ids"] == ["number: 'low'"]
    assert _comparisons(document)["E09000007"]["status"] == "not_comparable"


def test_low_rounded_to_10_is_1_to_4_and_disagrees_with_zero(tmp_path: Path) -> None:
    config = _two_tables(tmp_path, [_la("202", "E09000007", "Camden", "low")], [_la("202", "E09000007", "Camden", "0")],
                         rounding="{local authority: 10}")  # fmt: skip
    code, document, _ = _reconciled(tmp_path, config)
    camden = _comparisons(document)["E09000007"]
    assert camden["left_value"] == [1, 4] and camden["status"] == "discrepancy"
    assert _checks(document, "left")["published.rounding"]["status"] == "passed" and code == 1
