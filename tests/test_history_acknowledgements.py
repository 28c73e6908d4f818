"""The run history remembers each run's acknowledgements (issue 24), on SQLite and on a real PostgreSQL server: a run
with an acknowledgements file stores one row per entry it met (acknowledged, changed, expired) or left stale;
`history diff` lists what was newly acknowledged and what no longer is, and an acknowledged failure does not fail it;
a history of 0003 is read as before (refused by readers) and upgraded by a run, keeping its runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from triangulate.config.acknowledgements import acknowledgements_text, load_acknowledgements
from triangulate.domain.acknowledgements import AckStatus
from triangulate.domain.status import Status
from triangulate.history import schema
from triangulate.history.migrate import VERSION_TABLE, upgrade
from triangulate.model.memory import RememberedAcknowledgement, RememberedCheck, RememberedRun, RunRef, changes
from triangulate.reports.disclosure import REASON_WITHHELD

from .conftest import one_error_line, run_cli
from .history_engines import create_engine
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)
from .test_acknowledgements import _blank_sex_of_one_more

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1"))]
REASON = "Known | <b>gap</b>: the NCMD extract is corrected next quarter"  # a pipe and markup: escaped in every output
OWNER = "NCMD data team"
EXPIRED, STALE = "check/ncmd/age.negative", "check/ncmd/no.such_check"
WORSE = "check/ncmd/missing.sex"  # one more record blanked between the runs: its acknowledgement's evidence changed


def _database(request: pytest.FixtureRequest, folder: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / 'history.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def _check(folder: Path, url: str, release: str, *more: str, code: int) -> dict[str, Any]:
    out = folder / f"{release}.json"
    done = run_cli("check", "--source", "ncmd", str(folder / "n.csv"), "--history", url, "--release", release,
                   "--json", str(out), "--jobs", "1", *more)  # fmt: skip
    assert done.returncode == code, done.stdout + done.stderr
    return json.loads(out.read_text())


def _acknowledge(folder: Path, release: str) -> None:
    done = run_cli("acknowledge", str(folder / f"{release}.json"), "--reason", REASON, "--owner", OWNER,
                   "--expires", "2099-12-31", "--file", str(folder / "acks.yaml"))  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module", params=BACKENDS)
def history(request: pytest.FixtureRequest, synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, dict]:
    """Four `check` runs of the sample's NCMD file in one history: A without acknowledgements; B with every blocking
    finding acknowledged; C after one more record fails missing.sex, with age.negative's entry expired and an
    entry that meets nothing; D with C's findings acknowledged again."""
    folder = tmp_path_factory.mktemp("history-acks")
    url = _database(request, folder)
    shutil.copy(synthetic / "ncmd" / "ncmd_deaths.csv", folder / "n.csv")
    acks = ("--acknowledgements", str(folder / "acks.yaml"))
    runs = {"A": _check(folder, url, "A", code=1)}
    _acknowledge(folder, "A")
    runs["B"] = _check(folder, url, "B", *acks, code=0)
    _blank_sex_of_one_more(folder / "n.csv")
    entries = [dataclasses.replace(e, expires=dt.date(2020, 1, 1)) if e.key == EXPIRED else e
               for e in load_acknowledgements(folder / "acks.yaml")]  # fmt: skip
    stale = dataclasses.replace(entries[0], key=STALE)
    (folder / "acks.yaml").write_text(acknowledgements_text([*entries, stale]))
    runs["C"] = _check(folder, url, "C", *acks, code=1)
    _acknowledge(folder, "C")
    runs["D"] = _check(folder, url, "D", *acks, code=0)
    return url, folder, runs


def _diff(url: str, folder: Path, old: str, new: str, *more: str, code: int) -> tuple[dict, str]:
    target = folder / f"diff-{old}-{new}{''.join(more)}.json"
    done = run_cli("history", "diff", url, "--from", old, "--to", new, "--json", str(target), *more)
    assert done.returncode == code, done.stdout + done.stderr
    return json.loads(target.read_text()), done.stdout


def _stored(url: str) -> dict[str, dict[str, tuple]]:
    """Each run's acknowledgement rows, by release and key: (status, reason, owner, expires, evidence, evidence_now)."""
    a, r = schema.acknowledgements.c, schema.runs.c
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(r.release, a.key, a.status, a.reason, a.owner, a.expires, a.evidence, a.evidence_now)
                                      .join(schema.runs, r.id == a.run_id).order_by(a.id)).all()  # fmt: skip
    finally:
        engine.dispose()
    out: dict[str, dict[str, tuple]] = {}
    for row in rows:
        now = json.loads(row.evidence_now) if row.evidence_now is not None else None
        out.setdefault(row.release, {})[row.key] = (row.status, row.reason, row.owner, row.expires, json.loads(row.evidence), now)
    return out


def test_a_run_with_an_acknowledgements_file_stores_each_entry_as_it_met_it(history: tuple[str, Path, dict]) -> None:
    url, _, runs = history
    stored = _stored(url)
    blocking = runs["A"]["blocking"]
    assert len(blocking) > 3 and WORSE in blocking and EXPIRED in blocking
    assert "A" not in stored  # a run with no acknowledgements file records none
    assert set(stored["B"]) == set(blocking) and {s[0] for s in stored["B"].values()} == {"acknowledged"}
    evidence = {c["key"]: c["evidence"] for c in runs["A"]["checks"] if c["key"] in blocking}
    assert {key: row[4] for key, row in stored["B"].items()} == evidence  # the entry's evidence: counts and digests
    assert all(row[1:4] == (REASON, OWNER, dt.date(2099, 12, 31)) and row[5] is None for row in stored["B"].values())

    c = stored["C"]
    assert {key: row[0] for key, row in c.items()} == {**dict.fromkeys(set(blocking) - {WORSE, EXPIRED}, "acknowledged"),
                                                       WORSE: "changed", EXPIRED: "expired", STALE: "stale"}  # fmt: skip
    assert c[WORSE][4]["failed"] + 1 == c[WORSE][5]["failed"] == 3  # changed: the entry's evidence and the finding's now
    assert c[WORSE][4]["records"] != c[WORSE][5]["records"]
    assert c[EXPIRED][3] == dt.date(2020, 1, 1) and c[EXPIRED][5] is None and c[STALE][5] is None
    assert runs["C"]["acknowledgements"] == {"acknowledged": [k for k in blocking if k not in (WORSE, EXPIRED)],
                                             "changed": [WORSE], "expired": [EXPIRED], "stale": [STALE]}  # fmt: skip
    # Nothing of the run's record ids is stored: the evidence holds digests of keyed person keys.
    ids = {i for check in runs["C"]["checks"] for i in check["record_ids"]}
    assert ids and not any(i in json.dumps(row[4:], default=str) for row in c.values() for i in ids)

    listed = run_cli("history", "list", url, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["release"], r["acknowledged"]) for r in json.loads(listed.stdout)] == [
        ("D", len(blocking)), ("C", len(blocking) - 2), ("B", len(blocking)), ("A", 0)]  # fmt: skip
    assert f"{len(blocking)} acknowledged" in run_cli("history", "list", url).stdout


def test_history_diff_lists_what_was_newly_acknowledged(history: tuple[str, Path, dict]) -> None:
    url, folder, runs = history
    blocking = runs["A"]["blocking"]
    found, markdown = _diff(url, folder, "A", "B", "--summary-md", str(folder / "a-b.md"), code=0)
    assert [a["key"] for a in found["acknowledged"]] == sorted(blocking)
    assert found["acknowledged"][0] == {"key": sorted(blocking)[0], "status": "acknowledged", "before": None, "reason": REASON,
                                        "owner": OWNER, "acknowledged_on": dt.date.today().isoformat(), "expires": "2099-12-31"}  # fmt: skip
    assert found["no_longer_acknowledged"] == [] and found["checks"] == [] and found["passed"] is True
    assert markdown == (folder / "a-b.md").read_text()
    section = markdown.split("### Newly acknowledged", 1)[1]
    assert "| finding | reason | owner | until |" in section
    for key in blocking:
        assert f"| `{key}` | Known \\| &lt;b&gt;gap&lt;/b&gt;: the NCMD extract is corrected next quarter | {OWNER} | 2099-12-31 |" in section
    assert "No longer acknowledged" not in markdown and "Nothing changed." not in markdown


def test_history_diff_lists_what_is_no_longer_acknowledged(history: tuple[str, Path, dict]) -> None:
    url, folder, _ = history
    found, markdown = _diff(url, folder, "B", "C", "--html", str(folder / "b-c.html"), code=1)  # worse, not acknowledged
    assert [(a["key"], a["status"], a["before"]) for a in found["no_longer_acknowledged"]] == [
        (EXPIRED, "expired", "acknowledged"), (WORSE, "changed", "acknowledged")]  # fmt: skip
    assert found["acknowledged"] == []
    assert [(c["key"], c["change"], c.get("acknowledged")) for c in found["checks"]] == [(WORSE, "worse", None)]
    assert "### No longer acknowledged" in markdown and f"| `{EXPIRED}` | expired |" in markdown
    assert f"| `{WORSE}` | evidence changed |" in markdown and "2 findings no longer acknowledged" in markdown
    page = (folder / "b-c.html").read_text()
    assert "<td>worse</td>" in page and "No longer acknowledged" in page and "<td>evidence changed</td>" in page
    assert "2 findings no longer acknowledged" in page and "Nothing newly acknowledged." in page
    # Acknowledged again: newly acknowledged, each saying how the older run stood.
    again, _ = _diff(url, folder, "C", "D", code=0)
    assert [(a["key"], a["before"]) for a in again["acknowledged"]] == [(EXPIRED, "expired"), (WORSE, "changed")]


def test_an_acknowledged_failure_does_not_fail_the_diff(history: tuple[str, Path, dict]) -> None:
    """B to D: missing.sex is worse, but D acknowledged it (its gate did not block on it), so the diff passes. Its
    entry, renewed for other evidence, is newly acknowledged; age.negative's, renewed for the same, is not."""
    url, folder, _ = history
    found, markdown = _diff(url, folder, "B", "D", "--html", str(folder / "b-d.html"), code=0)
    assert [(c["key"], c["change"], c.get("acknowledged")) for c in found["checks"]] == [(WORSE, "worse", True)]
    assert found["passed"] is True
    assert [(a["key"], a["before"]) for a in found["acknowledged"]] == [(WORSE, "acknowledged")]
    assert "| worse (acknowledged) |" in markdown
    page = (folder / "b-d.html").read_text()
    assert "<td>worse (acknowledged)</td>" in page and "nothing newly failing, worse or revised beyond tolerance" in page


def test_a_published_diff_withholds_the_reasons_and_the_evidence(history: tuple[str, Path, dict]) -> None:
    """A reason is free text that may name a figure a published output withholds: --publish says where to read it."""
    url, folder, _ = history
    page = folder / "published.html"
    found, markdown = _diff(url, folder, "C", "D", "--publish", "--html", str(page), code=0)
    assert [a["reason"] for a in found["acknowledged"]] == [REASON_WITHHELD, REASON_WITHHELD]
    text = json.dumps(found)
    assert "evidence" not in text and "sha256:" not in text and "sha256:" not in markdown and "Known" not in markdown
    html = page.read_text()
    assert "Newly acknowledged" in html and "Known" not in html and "reason withheld" in html
    assert f"<code>{WORSE}</code>" in html and "2099-12-31" in html and "sha256:" not in html


def test_a_runs_own_changes_since_the_last_release_say_what_it_acknowledged(synthetic: Path, tmp_path: Path) -> None:
    """`reconcile` twice, the second with the first's blocking findings acknowledged: its results.json's
    since_last_release lists them as newly acknowledged, and its changes pass (the history's backend does not
    matter here: the diffs above read both)."""
    url, config = f"sqlite:///{tmp_path / 'h.db'}", str(synthetic / "release.yaml")
    first = run_cli("reconcile", "--config", config, "--history", url, "--release", "A", "--json", str(tmp_path / "A.json"))
    assert first.returncode == 1, first.stdout + first.stderr
    _acknowledge(tmp_path, "A")
    second = run_cli("reconcile", "--config", config, "--history", url, "--release", "B", "--json", str(tmp_path / "B.json"),
                     "--acknowledgements", str(tmp_path / "acks.yaml"))  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    blocking = json.loads((tmp_path / "A.json").read_text())["blocking"]
    since = json.loads((tmp_path / "B.json").read_text())["since_last_release"]
    assert any(key.startswith("comparison/") for key in blocking) and any(key.startswith("missing/") for key in blocking)
    assert [a["key"] for a in since["acknowledged"]] == sorted(blocking)
    assert {(a["reason"], a["owner"], a["before"]) for a in since["acknowledged"]} == {(REASON, OWNER, None)}
    assert since["no_longer_acknowledged"] == [] and since["passed"] is True


# --- a history of 0003 -------------------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def at_0003(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A history as 0003 left it: one `check` run whose missing.sex failed for one person."""
    url = _database(request, tmp_path)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade(connection, "0003")
        with engine.begin() as connection:
            now = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
            run = {"started_at": now, "finished_at": now, "command": "check", "release": "old", "tool_version": "0.1",
                   "passed": False, "gate": "check"}  # fmt: skip
            connection.execute(sa.table("runs", *map(sa.column, run)).insert(), [run])
            run_id = connection.execute(sa.text("SELECT max(id) FROM runs")).scalar_one()
            check = {"run_id": run_id, "source": "ncmd", "kind": "ncmd", "check_id": "missing.sex", "severity": "error", "status": "failed",
                     "failed": 1, "key": "check/ncmd/missing.sex", "people": '["p:someone"]'}  # fmt: skip
            connection.execute(sa.table("check_outcomes", *map(sa.column, check)).insert(), [check])
    finally:
        engine.dispose()
    return url


def _state(url: str) -> tuple[tuple[str, ...], bool]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stamp = tuple(connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
            return stamp, sa.inspect(connection).has_table("acknowledgements")
    finally:
        engine.dispose()


def test_a_0003_history_is_refused_by_readers_and_upgraded_by_a_run(at_0003: str, tmp_path: Path) -> None:
    for command in (("list", "--json"), ("diff",)):
        line = one_error_line(run_cli("history", command[0], at_0003, *command[1:]))
        assert "has schema revision 0003, older than this triangulate reads (from 0004)" in line, line
        assert line.endswith("record a run in it with --history to upgrade it"), line
    assert _state(at_0003) == (("0003",), False)  # a reader changed nothing

    (tmp_path / "n.csv").write_text("ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\n"
                                    "N1,C1,E06000001,M,2010-01-01,2020-06-01,LAC\n")  # fmt: skip
    entry = f"- key: {STALE}\n  evidence: {{failed: 1}}\n  reason: Gone\n  owner: Someone\n  acknowledged_on: 2024-05-01\n"
    (tmp_path / "acks.yaml").write_text(entry)
    done = run_cli("check", "--source", "ncmd", str(tmp_path / "n.csv"), "--history", at_0003, "--release", "new",
                   "--acknowledgements", str(tmp_path / "acks.yaml"), "--reference-date", "2024-03-31", "--jobs", "1")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert _state(at_0003) == (("0004",), True)
    assert {key: row[0] for key, row in _stored(at_0003)["new"].items()} == {STALE: "stale"}

    listed = run_cli("history", "list", at_0003, "--json")
    assert [(r["run_id"], r["release"], r["acknowledged"]) for r in json.loads(listed.stdout)] == [(2, "new", 0), (1, "old", 0)]
    target = tmp_path / "diff.json"
    diffed = run_cli("history", "diff", at_0003, "--from", "old", "--to", "new", "--json", str(target))
    assert diffed.returncode == 0, diffed.stdout + diffed.stderr
    found = json.loads(target.read_text())
    changed = {(c["key"], c["change"], c["new_failed"]) for c in found["checks"]}
    assert ("check/ncmd/missing.sex", "fixed", 0) in changed  # the old run's row
    # and the code lists of two columns this extract lacks, which did not run (failing nothing; the run passed)
    assert changed - {("check/ncmd/missing.sex", "fixed", 0)} == {
        ("check/ncmd/invalid.primary_category", "new", 0), ("check/ncmd/invalid.modifiable_factors", "new", 0)}
    assert (found["acknowledged"], found["no_longer_acknowledged"]) == ([], [])  # a stale entry acknowledges nothing


# --- the rule, on remembered runs --------------------------------------------------------------------------------------


def _remembered(run_id: int, failed: int, *acknowledgements: RememberedAcknowledgement) -> RememberedRun:
    ref = RunRef(run_id, str(run_id), dt.datetime(2024, 1, run_id, tzinfo=dt.UTC), "check")
    status = Status.FAILED if failed else Status.PASSED
    check = RememberedCheck("check/ncmd/x", "ncmd", "x", "error", status, failed, frozenset(f"p:{i}" for i in range(failed)))
    return RememberedRun(ref, (check,), acknowledgements=acknowledgements)


def _entry(status: AckStatus, failed: int, key: str = "check/ncmd/x") -> RememberedAcknowledgement:
    return RememberedAcknowledgement(key, status, "why", "who", dt.date(2024, 1, 1), None, {"failed": failed})


@pytest.mark.parametrize(("older", "newer", "passed", "began", "lapsed"), [
    ((0,), (2,), False, [], []),  # a new failure, not acknowledged: the diff fails
    ((0,), (2, _entry(AckStatus.ACKNOWLEDGED, 2)), True, [None], []),  # acknowledged in the newer run: it does not
    ((1, _entry(AckStatus.ACKNOWLEDGED, 1)), (2, _entry(AckStatus.ACKNOWLEDGED, 2)), True, ["acknowledged"], []),  # renewed
    ((1, _entry(AckStatus.ACKNOWLEDGED, 1)), (1, _entry(AckStatus.ACKNOWLEDGED, 1)), True, [], []),  # the same: no news
    ((1, _entry(AckStatus.ACKNOWLEDGED, 1)), (2, _entry(AckStatus.CHANGED, 1)), False, [], ["changed"]),  # worse, lapsed
    ((1, _entry(AckStatus.ACKNOWLEDGED, 1)), (1, _entry(AckStatus.EXPIRED, 1)), False, [], ["expired"]),  # blocks again
    ((1, _entry(AckStatus.ACKNOWLEDGED, 1)), (1,), True, [], ["absent"]),
    ((1, _entry(AckStatus.ACKNOWLEDGED, 1)), (0, _entry(AckStatus.STALE, 1)), True, [], ["stale"]),  # fixed
    ((1, _entry(AckStatus.EXPIRED, 1)), (1, _entry(AckStatus.ACKNOWLEDGED, 1)), True, ["expired"], []),
])  # fmt: skip
def test_what_an_acknowledgement_changes_in_a_diff(older: tuple, newer: tuple, passed: bool, began: list, lapsed: list) -> None:
    found = changes(_remembered(1, *older), _remembered(2, *newer))
    assert found.passed is passed
    assert [a.before for a in found.acknowledged] == began
    assert [a.status for a in found.no_longer_acknowledged] == lapsed
    assert all(a.key == "check/ncmd/x" and a.reason == "why" for a in (*found.acknowledged, *found.no_longer_acknowledged))
