"""The synthetic sample run twice with deliberate changes between the runs: `history diff` lists exactly those,
on SQLite and on PostgreSQL, and agrees with the difference of the two runs' results.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from .conftest import copy_of, run_cli
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1"))]


def _change_the_sample(sample: Path) -> None:
    """Remove one NCMD death, blank one NCMD sex (a check failure added), revise DfE's published 2022-23 figure."""
    path = sample / "ncmd" / "ncmd_deaths.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    removed = next(i for i, r in enumerate(rows) if i and r[header.index("social_care_status")] == "LAC" and not r[0].startswith("X"))
    del rows[removed]
    blanked = next(r for r in rows[1:] if not r[0].startswith("X") and r[header.index("sex")])
    blanked[header.index("sex")] = ""
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    published = sample / "published" / "cla_ceased.csv"
    lines = published.read_text(encoding="utf-8").splitlines()
    revised = next(i for i, line in enumerate(lines) if line.startswith("2023,") and "Died" in line)
    cells = lines[revised].split(",")
    cells[-1] = str(int(cells[-1]) + 10)
    lines[revised] = ",".join(cells)
    published.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("backend", BACKENDS)
def test_history_diff_lists_exactly_the_changes_between_two_releases(backend: str, clean_sample: Path, tmp_path: Path,
                                                                     request: pytest.FixtureRequest) -> None:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'h.db'}" if backend == "sqlite" else new_database(request.getfixturevalue("postgres_url"))
    sample = copy_of(clean_sample, tmp_path / "sample")
    first = run_cli("run", str(sample / "release.yaml"), "--out", str(tmp_path / "one"), "--history", url, "--release", "2022-23")
    assert first.returncode in (0, 1), first.stderr
    _change_the_sample(sample)
    second = run_cli("run", str(sample / "release.yaml"), "--out", str(tmp_path / "two"), "--history", url, "--release", "2023-24")
    assert second.returncode in (0, 1), second.stderr
    listed = run_cli("history", "list", url, "--json")
    runs = json.loads(listed.stdout)
    assert [r["release"] for r in runs] == ["2023-24", "2022-23"]
    result = run_cli("history", "diff", url, "--json", str(tmp_path / "d.json"), "--html", str(tmp_path / "d.html"))
    assert result.returncode == 1, result.stdout + result.stderr
    diff = json.loads((tmp_path / "d.json").read_text())
    assert (diff["from"]["release"], diff["to"]["release"]) == ("2022-23", "2023-24")
    assert [(c["source"], c["id"], c["change"]) for c in diff["checks"]] == [("ncmd", "missing.sex", "new")]
    assert [(p["source"], p["period"]) for p in diff["published"]] == [("dfe_pub", "2022-04-01/2023-03-31")]
    # Field for field, the diff agrees with the two runs' results.json.
    old = json.loads((tmp_path / "one" / "results.json").read_text())
    new = json.loads((tmp_path / "two" / "results.json").read_text())

    def statuses(document: dict) -> dict:
        return {(c["measure"], c["period"], c["geography"], c["left"], c["right"]): c["status"] for c in document["comparisons"]}

    before, after = statuses(old), statuses(new)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert {(c["measure"], c["period"], c["geography"], c["left"], c["right"]) for c in diff["comparisons"]} == changed
    assert any(c["new_status"] == "discrepancy" for c in diff["comparisons"])  # the revised figure no longer agrees
    failed = {(s["name"], c["id"]): c["failed"] for s in new["sources"] for c in s["checks"]}
    was = {(s["name"], c["id"]): c["failed"] for s in old["sources"] for c in s["checks"]}
    assert {k for k in failed if failed[k] != was.get(k)} == {("ncmd", "missing.sex")}
    page = (tmp_path / "d.html").read_text()
    assert "Since the last release" in page
    gate = "PASS" if new["passed"] else "FAIL"  # the newer run's own result heads the page, not the diff's
    assert f"Release 2023-24 (run {diff['to']['run_id']}): {gate}." in page and "new or worse failures" in page
    # `run`'s own report and summary say what changed since the last release, as the diff does.
    report = (tmp_path / "two" / "report.html").read_text()
    assert 'id="since"' in report and "ncmd missing.sex" in report and "dfe_pub revised lac_deaths for England" in report
    assert "### Since the last release" in (tmp_path / "two" / "summary.md").read_text()
    # The run names its new failures by its own record ids; the history, which keeps person keys only, by those.
    def without_ids(checks: list[dict]) -> list[dict]:
        return [{**c, "new_record_ids": len(c["new_record_ids"]), "fixed_record_ids": len(c["fixed_record_ids"])} for c in checks]

    assert without_ids(new["since_last_release"]["checks"]) == without_ids(diff["checks"])
    shown = {i for c in new["since_last_release"]["checks"] for i in c["new_record_ids"]}
    assert shown and shown <= {i for s in new["sources"] for c in s["checks"] for i in c["record_ids"]}
    assert all(i.startswith("p:") for c in diff["checks"] for i in c["new_record_ids"] + c["fixed_record_ids"])


def test_a_history_that_cannot_be_opened_stops_the_run_before_any_output(clean_sample: Path, tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_text("this is not a database\n" * 100)
    result = run_cli("run", str(clean_sample / "release.yaml"), "--out", str(tmp_path / "out"), "--history", str(tmp_path / "not-a-db"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
