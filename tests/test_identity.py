"""Identity that outlives a run (issue 23): keys and person keys, whatever the run's flags or its sources' names.

On SQLite and on a real PostgreSQL server: two runs of identical inputs, one with --redact, differ in nothing; a
source renamed with its `id:` kept keeps its history; a --redact run after a plain one shows none of its ids.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from triangulate.domain.identity import ComparisonKey, SeriesKey, check_key, key_parts, keyer
from triangulate.domain.periods import Period, financial_year
from triangulate.domain.status import Status, blocks_release
from triangulate.history import open_history, schema
from triangulate.history.migrate import upgrade
from triangulate.model.memory import parse_series

from .conftest import copy_of, run_cli
from .history_engines import create_engine
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1"))]
REDACT = {"TRIANGULATE_REDACT_KEY": "a key for the tests of identity"}


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def _run(config: Path, out: Path, url: str, release: str, *flags: str, env: dict[str, str] | None = None) -> dict:
    done = run_cli("run", str(config), "--out", str(out), "--history", url, "--release", release, *flags, env=env)
    assert done.returncode in (0, 1), done.stderr
    return json.loads((out / "results.json").read_text())


def _diff(url: str, old: str, new: str, folder: Path) -> dict:
    target = folder / f"diff-{old}-{new}.json"
    done = run_cli("history", "diff", url, "--from", old, "--to", new, "--json", str(target))
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return json.loads(target.read_text())


def test_identical_inputs_with_and_without_redact_differ_in_nothing(synthetic: Path, tmp_path: Path, url: str) -> None:
    sample = copy_of(synthetic, tmp_path / "sample")
    plain = _run(sample / "release.yaml", tmp_path / "plain", url, "A")
    redacted = _run(sample / "release.yaml", tmp_path / "redacted", url, "B", "--redact", env=REDACT)
    assert sum(c["failed"] for s in plain["sources"] for c in s["checks"]) > 100  # the sample has failures to remember
    found = _diff(url, "A", "B", tmp_path)
    assert (found["checks"], found["comparisons"], found["published"]) == ([], [], []) and found["passed"]
    since = redacted["since_last_release"]
    assert (since["checks"], since["comparisons"], since["published"]) == ([], [], [])

    # The typed memory a third release reads before reconciling: each earlier release's comparisons of a series.
    first = plain["comparisons"][0]
    with open_history(url, create=False) as history:
        memory = history.memory("C", "run")
    assert memory.previous is not None and memory.previous.run.release == "B"
    past = memory.past(parse_series(first["key"]))
    assert [p.release for p in past if p.comparison.key == first["key"]] == ["A", "B"]
    assert {p.comparison.status for p in past if p.comparison.key == first["key"]} == {first["status"]}

    # Every output of the --redact run: none of the plain run's record ids, from the history or anywhere else.
    locations = {where for s in plain["sources"] for c in s["checks"] for where in c["locations"]}  # shown under --redact
    ids = {i for s in plain["sources"] for c in s["checks"] for i in c["record_ids"]} - locations
    assert len(ids) > 100
    pattern = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
    for output in (tmp_path / "redacted").rglob("*"):
        if output.is_file():
            text = output.read_bytes().decode("utf-8", "replace")
            assert not pattern.search(text), f"{output.name}: {pattern.search(text)}"


def test_a_redact_run_shows_no_clear_id_of_an_earlier_run_that_failed_differently(synthetic: Path, tmp_path: Path) -> None:
    """What the history gives back (fixed records) passes through the run's disclosure: a fixed failure is named by
    a person key, hashed again under --redact, never by the id an earlier plain run showed."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    sample = copy_of(synthetic, tmp_path / "sample")
    plain = _run(sample / "release.yaml", tmp_path / "plain", url, "A")
    ncmd = sample / "ncmd" / "ncmd_deaths.csv"
    lines = ncmd.read_text().splitlines(keepends=True)
    ncmd.write_text("".join(lines[:1] + lines[1:][::2]))  # half the deaths gone: some failing records with them
    redacted = _run(sample / "release.yaml", tmp_path / "redacted", url, "B", "--redact", env=REDACT)
    fixed = [i for c in redacted["since_last_release"]["checks"] for i in c["fixed_record_ids"]]
    assert fixed, redacted["since_last_release"]["checks"]
    clear = {i for s in plain["sources"] for c in s["checks"] for i in c["record_ids"]}
    assert not clear & set(fixed)
    assert all(i.startswith("h-") for i in fixed)  # a person key, hashed again by this run's --redact

    # `history diff` passes what it reads through the same disclosure.
    for flag, env, shown in (("--redact", REDACT, "h-"), ("--publish", None, None)):
        target = tmp_path / f"diff{flag}.json"
        done = run_cli("history", "diff", url, "--json", str(target), flag, env=env)
        assert done.returncode in (0, 1), done.stderr
        checks = json.loads(target.read_text())["checks"]
        listed = [i for c in checks for i in c["new_record_ids"] + c["fixed_record_ids"]]
        assert checks and (all(i.startswith(shown) for i in listed) and listed if shown else not listed)
        if not shown:
            assert not {c["old_failed"] for c in checks} & set(range(1, 6)), checks  # small counts withheld


def test_a_source_renamed_with_its_id_kept_keeps_its_history(synthetic: Path, tmp_path: Path, url: str) -> None:
    sample = copy_of(synthetic, tmp_path / "sample")
    config = sample / "release.yaml"
    _run(config, tmp_path / "one", url, "A")
    text = config.read_text()
    renamed = text.replace("  ncmd: {kind: ncmd,", "  national_database: {id: ncmd, kind: ncmd,").replace("ncmd_deaths.csv}", "ncmd_deaths.csv}")
    assert renamed != text
    # The shipped measures select sources by kind, so the renamed source is compared as before.
    config.write_text(renamed)
    second = _run(config, tmp_path / "two", url, "B")
    assert "national_database" in {s["name"] for s in second["sources"]}
    found = _diff(url, "A", "B", tmp_path)
    assert (found["checks"], found["comparisons"], found["published"]) == ([], [], []), found
    config.write_text(text.replace("  ncmd: {kind: ncmd,", "  national_database: {kind: ncmd,"))  # renamed, id not kept
    _run(config, tmp_path / "three", url, "C")
    lost = _diff(url, "B", "C", tmp_path)
    assert any(c["source"] == "national_database" and c["change"] == "new" for c in lost["checks"])


def test_an_upgraded_history_keeps_the_identity_of_records_it_stored_in_clear(url: str) -> None:
    """A history of schema 0002 stored record ids as disclosed; 0003 turns each into its person key with the
    history's new secret, so a clear id stored then is the same person as the same id now (SQLite, PostgreSQL)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade(connection, "0002")
        with engine.begin() as connection:
            now = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
            runs = sa.table("runs", *map(sa.column, ("id", "started_at", "finished_at", "command", "release", "tool_version", "passed", "gate")))
            connection.execute(runs.insert(), [{"id": 1, "started_at": now, "finished_at": now, "command": "run", "release": "old",
                                                "tool_version": "0.1", "passed": False, "gate": "release"}])  # fmt: skip
            columns = ("run_id", "source", "kind", "check_id", "severity", "status", "failed", "record_ids")
            connection.execute(sa.table("check_outcomes", *map(sa.column, columns)).insert(),
                               [dict(zip(columns, (1, "ncmd", "ncmd", "missing.sex", "error", "failed", 2, '["N7", "N9/x"]'), strict=True))])  # fmt: skip
            columns = ("run_id", "measure", "period", "geography", "left", "right", "relation", "tolerance", "status")
            connection.execute(sa.table("comparisons", *map(sa.column, columns)).insert(), [dict(zip(columns, (
                1, "lac_deaths", "2022-04-01/2023-03-31", "North East", "ncmd", "dfe_cla", "==", "{}", "agree"), strict=True))])  # fmt: skip
    finally:
        engine.dispose()
    with open_history(url) as history:  # a writer upgrades
        person = keyer(history.secret)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            key, people = connection.execute(sa.select(schema.check_outcomes.c.key, schema.check_outcomes.c.people)).one()
            comparison = connection.execute(sa.select(schema.comparisons.c.key, schema.comparisons.c.geography)).one()
    finally:
        engine.dispose()
    assert key == "check/ncmd/missing.sex"
    assert json.loads(people) == sorted([person.of("ncmd", "N7"), person.of("ncmd", "N9/x")])
    assert tuple(comparison) == ("comparison/lac_deaths/2022-23/E12000001/ncmd/dfe_cla", "E12000001")


# --- the keys themselves ---------------------------------------------------------------------------------------------


def test_keys_have_one_string_form_that_splits_back() -> None:
    key = ComparisonKey(SeriesKey("lac_deaths", "E92000001", "csprp", "dfe_cla"), financial_year(2022))
    assert key.text == "comparison/lac_deaths/2021-22/E92000001/csprp/dfe_cla"
    odd = SeriesKey("a/b%c", "E12000007", "x", "y").at(Period(dt.date(2022, 1, 1), dt.date(2023, 3, 31)))
    assert odd.text == "comparison/a%2Fb%25c/2022-01-01..2023-03-31/E12000007/x/y"
    assert key_parts(odd.text)[1] == "a/b%c"
    assert check_key("dfe_cin", "missing.sex") == "check/dfe_cin/missing.sex"


def test_person_keys_depend_on_the_secret_and_the_source_never_on_disclosure() -> None:
    one, other = keyer(b"s" * 32), keyer(b"t" * 32)
    assert one.of("ncmd", "N1") == one.of("ncmd", "N1") != other.of("ncmd", "N1")
    assert one.of("ncmd", "N1") != one.of("csprp", "N1") and "N1" not in one.of("ncmd", "N1")
    assert keyer().origin == "run" and keyer().secret != keyer().secret


@pytest.mark.parametrize(("status", "severity", "blocks"), [
    (Status.CRASHED, "warning", True), (Status.FAILED, "error", True), (Status.FAILED, "warning", False),
    (Status.NOT_RUN, "error", False), (Status.DISCREPANCY, "error", True), (Status.WITHIN_TOLERANCE, "error", False),
    (Status.EMPTY, "error", True), (Status.EMPTY, "warning", False), (Status.PASSED, "error", False),
])  # fmt: skip
def test_the_one_blocking_rule(status: Status, severity: str, blocks: bool) -> None:
    assert blocks_release(status, severity) is blocks


def test_a_publish_run_withholds_what_the_history_gives_back_as_it_withholds_its_own(synthetic: Path, tmp_path: Path) -> None:
    """Each release's figure across releases (from the history, keyed by source id) is withheld wherever this
    release withholds the same cell, including after a source is renamed with its `id:` kept."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    sample = copy_of(synthetic, tmp_path / "sample")
    _run(sample / "release.yaml", tmp_path / "one", url, "A")
    config = sample / "release.yaml"
    config.write_text(config.read_text().replace("  csprp: {kind: csprp,", "  panel: {id: csprp, kind: csprp,"))
    published = _run(sample / "release.yaml", tmp_path / "two", url, "B", "--publish", "--json", str(tmp_path / "two" / "results.json"))
    withheld = {(s["measure"], s["source"], s["period"]) for s in published["series"] if s["value"] == ["c", "c"]}
    assert withheld, "the sample's --publish run withholds some national figures"
    names = {"csprp": "panel"}
    across = published["since_last_release"]["across_releases"]
    leaked = [p for p in across if (p["measure"], names.get(p["source"], p["source"]), p["period"]) in withheld
              and p["per_12_months"] != ["c", "c"]]  # fmt: skip
    assert not leaked and any(p["per_12_months"] == ["c", "c"] for p in across)


def test_two_compares_of_one_pair_in_a_measure_are_refused(synthetic: Path, tmp_path: Path) -> None:
    """They would share one key, so the history could not tell a new discrepancy in one from the other's agreement."""
    sample = copy_of(synthetic, tmp_path / "sample")
    (sample / "twice.yaml").write_text(
        "reference_date: 2023-03-31\nsources:\n  ncmd: {kind: ncmd, path: ncmd/ncmd_deaths.csv}\n"
        "  dfe_cla: {kind: ssda903, path: [ssda903/header.csv, ssda903/episodes.csv]}\n"
        "measures:\n  - id: lac\n    title: LAC\n    period: financial_year\n"
        "    select: {dfe_cla: {where: {status: [LAC]}}, ncmd: {where: {status: [LAC]}}}\n"
        "    compare:\n      - {left: ncmd, right: dfe_cla, relation: '=='}\n      - {left: ncmd, right: ssda903, relation: '<='}\n"
    )
    done = run_cli("run", str(sample / "twice.yaml"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "compares ncmd with dfe_cla more than once" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_a_period_compared_with_two_overlapping_ones_gives_two_keys() -> None:
    """A year is compared with every period that overlaps it by half (a financial year against two calendar
    years): one comparison each, told apart by the right source's period in the key, never refused as a repeat."""
    from triangulate.domain.intervals import Interval
    from triangulate.model.reconciliation import Comparison, ReconcileResult
    from triangulate.reconcile.keys import with_keys

    fy, cy = financial_year(2022).iso, Period(dt.date(2021, 1, 1), dt.date(2021, 12, 31)).iso
    value = Interval.exact(3)

    def comparison(right_period: str) -> Comparison:
        return Comparison("m", fy, "2021-22", "England", "a", "b", value, value, fy, right_period, value, value,
                          value - value, "==", {}, Status.AGREE)  # fmt: skip

    keyed = with_keys(ReconcileResult(comparisons=(comparison(fy), comparison(cy))), {"a": "A", "b": "B"})
    assert [c.identity.text for c in keyed.comparisons] == ["comparison/m/2021-22/E92000001/A/B",
                                                            "comparison/m/2021-22~2021/E92000001/A/B"]  # fmt: skip
