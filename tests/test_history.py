"""The run history (issue 14) on SQLite and on a real PostgreSQL server: record, list, diff, upgrade, crash safety."""

from __future__ import annotations

import datetime as dt
import functools
import json
import multiprocessing
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from triangulate.domain.geography import ENGLAND
from triangulate.domain.identity import keyer
from triangulate.domain.intervals import Interval
from triangulate.history import HistoryError, open_history, schema
from triangulate.history.migrate import VERSION_TABLE, upgrade
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.reconciliation import Bridge, BridgeStep, Comparison, ReconcileResult, SeriesPoint
from triangulate.model.release import Provenance, Release
from triangulate.model.revisions import CellRevision, Revisions, Vintage

from . import postgres
from .history_engines import create_engine
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)

FY23, FY24 = "2022-04-01/2023-03-31", "2023-04-01/2024-03-31"
REGION = "E12000001"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1"))]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty history database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


def _outcome(check_id: str, ids: tuple[str, ...] = (), severity: str = "error") -> CheckOutcome:
    return CheckOutcome(check_id, severity, f"{check_id} message", len(ids), ids)


def _comparison(geography: str, status: str, right: Interval) -> Comparison:
    left = Interval.exact(60)
    return Comparison("lac_deaths", FY24, "2023-24", geography, "dfe_cla", "dfe_pub", left, right, FY24, FY24,
                      left, right, left - right, "==", {"abs": 5.0}, status)  # fmt: skip


def _point(source: str, period: str, value: Interval | None) -> SeriesPoint:
    return SeriesPoint("lac_deaths", source, period, period[:4], value, value)


def release(second: bool = False, bulk_checks: int = 0, ids_per_check: int = 0, comparisons: int = 0) -> Release:
    """Two vintages of one small release: the second adds a failure, fixes one, moves a comparison and revises a figure."""
    over_17 = _outcome("age.over_17", ("h:aa", "h:bb"))  # unchanged between the two
    outcomes = [over_17, _outcome("unborn.death", severity="warning")]
    if second:
        outcomes += [_outcome("missing.DOB"), _outcome("death.missing_date", ("h:dd",))]  # fixed, and new
    else:
        outcomes += [_outcome("missing.DOB", ("h:mm",))]
    outcomes += [_outcome(f"bulk.{i}", tuple(f"id-{i}-{j}" for j in range(ids_per_check))) for i in range(bulk_checks)]
    files = (InputFile("cla/episodes.csv", 1200, "a" * 64),)
    cla = SourceResult("dfe_cla", "ssda903", 1000, 60, dt.date(2024, 3, 31), files, tuple(outcomes))
    pub_file = InputFile("pub/cla.csv", 300, "b" * 64)
    pub = SourceResult("dfe_pub", "published", 40, 0, None, (pub_file,), (_outcome("published.rounding"),), published=True)
    published = Interval(65, 74) if second else Interval(55, 64)
    found = [_comparison(ENGLAND, "agree", published), _comparison(REGION, "discrepancy" if second else "agree", Interval(5, 5))]
    found += [_comparison(f"E0600{i:04d}", "within_tolerance", Interval(i, i)) for i in range(comparisons)]
    series = [_point("dfe_cla", FY24, Interval.exact(61 if second else 60)),  # not published: never a revision
              _point("dfe_pub", FY24, published), _point("dfe_pub", FY23, Interval(1, float("inf")))]
    if second:
        series.append(_point("dfe_pub", "2024-04-01/2025-03-31", Interval(45, 54)))  # a new period: new data, not a revision
    steps = (BridgeStep("age.over_17", "minus 18+", 2, ("h:aa", "h:bb")), BridgeStep("outside", "plus", -1, ()))
    reconciliation = ReconcileResult(comparisons=tuple(found), series=tuple(series),
                                     bridges=(Bridge("dfe_cla", "lac_deaths", FY24, "2023-24", 61, steps, 60),))  # fmt: skip
    reference = dt.date(2025 if second else 2024, 3, 31)
    provenance = Provenance(dt.datetime(2024, 6, 1, tzinfo=dt.UTC), reference, "release.yaml", "sources: {}",
                            (("dfe_cla", files[0]), ("dfe_pub", pub_file)), (("triangulate", "0.1.0"),))  # fmt: skip
    return Release("run", (cla, pub), reconciliation, provenance, published_files=(("dfe_pub", pub_file),))


def _record(url: str, found: Release, **options: object) -> int:
    with open_history(url) as history:
        start = dt.datetime.now(dt.UTC)
        return history.record(found, start, start + dt.timedelta(seconds=3), {"cla/episodes.csv": 1000}, **options)


def expected_checks(person: Callable[[str], str]) -> list[dict[str, Any]]:
    """Two stored runs know their failing records by person key only: neither run's record ids come back."""
    return [
        {"key": "check/dfe_cla/death.missing_date", "source": "dfe_cla", "id": "death.missing_date", "old_failed": None,
         "new_failed": 1, "change": "new", "new_record_ids": [person("h:dd")], "fixed_record_ids": []},
        {"key": "check/dfe_cla/missing.DOB", "source": "dfe_cla", "id": "missing.DOB", "old_failed": 1, "new_failed": 0,
         "change": "fixed", "new_record_ids": [], "fixed_record_ids": [person("h:mm")]},
    ]  # fmt: skip


def test_record_runs_and_diff_list_exactly_what_changed(url: str) -> None:
    first, second = _record(url, release()), _record(url, release(second=True))
    again = _record(url, release(second=True))  # a re-run of the second release: the default diff still goes back to the first
    with open_history(url) as history:
        runs = history.runs()
        assert [(r.id, r.release, r.passed, r.failing_checks, r.discrepancies) for r in runs] == [
            (again, "2025-03-31", False, 2, 1), (second, "2025-03-31", False, 2, 1), (first, "2024-03-31", False, 2, 0)]
        assert runs[0].started_at.tzinfo is not None and runs[0].finished_at - runs[0].started_at == dt.timedelta(seconds=3)
        found = history.diff().to_dict()
        assert found == history.diff("2024-03-31", again).to_dict() == history.diff(first, str(again)).to_dict()
        assert history.diff(second, again).checks == () and history.diff(second, again).passed
        lenient = history.diff(revision_tolerance=10).to_dict()
        person = functools.partial(keyer(history.secret).of, "dfe_cla")
    assert found["from"]["run_id"] == first and found["from"]["release"] == "2024-03-31"
    assert found["to"]["run_id"] == again and found["to"]["release"] == "2025-03-31"
    assert found["checks"] == expected_checks(person)
    assert found["comparisons"] == [{"key": "comparison/lac_deaths/2023-24/E12000001/dfe_cla/dfe_pub", "measure": "lac_deaths",
                                     "period": FY24, "geography": "North East", "geography_code": REGION, "left": "dfe_cla",
                                     "right": "dfe_pub", "old_status": "agree", "new_status": "discrepancy"}]  # fmt: skip
    assert found["published"] == [{"source": "dfe_pub", "measure": "lac_deaths", "period": FY24, "geography": ENGLAND,
                                   "geography_code": "E92000001", "old": [55, 64], "new": [65, 74], "beyond_tolerance": True}]  # fmt: skip
    assert found["passed"] is False
    assert lenient["published"][0]["beyond_tolerance"] is False  # moved by exactly 10


def test_every_row_is_stored_as_given(url: str) -> None:
    run_id = _record(url, release(), label="2023-24 final")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            run = connection.execute(sa.select(schema.runs).where(schema.runs.c.id == run_id)).one()
            ids = connection.execute(sa.select(schema.check_outcomes.c.people)
                                     .where(schema.check_outcomes.c.check_id == "age.over_17")).scalar_one()  # fmt: skip
            inputs = connection.execute(sa.select(schema.inputs.c.path, schema.inputs.c.rows).order_by(schema.inputs.c.path)).all()
            steps = connection.execute(sa.select(schema.bridges.c.steps)).scalar_one()
            bounds = connection.execute(sa.select(schema.series.c.low, schema.series.c.high)
                                        .where(schema.series.c.period == FY23)).one()  # fmt: skip
    finally:
        engine.dispose()
    assert run.release == "2023-24 final" and run.command == "run" and run.gate == "release" and run.passed is False
    assert run.reference_date == dt.date(2024, 3, 31) and len(run.config_sha256) == 64
    with open_history(url, create=False) as history:
        person = functools.partial(keyer(history.secret).of, "dfe_cla")
    assert json.loads(ids) == sorted([person("h:aa"), person("h:bb")])  # person keys, never the record ids as given
    assert "h:aa" not in ids
    assert inputs == [("cla/episodes.csv", 1000), ("pub/cla.csv", None)]  # the published file once, not twice
    assert steps == '[{"step": "age.over_17", "count": 2}, {"step": "outside", "count": -1}]'
    assert tuple(bounds) == (1, None)  # suppressed: at least 1, no upper bound


def test_revisions_runs_are_recorded(url: str) -> None:
    old, new = Vintage(InputFile("old.csv", 10, "c" * 64), 7), Vintage(InputFile("new.csv", 11, "d" * 64), 6)
    cell = CellRevision({"new_la_code": "E06000001"}, "children", "300", "301", (300, 300), (301, 301), 1.0, 1 / 300,
                        "substantive", True, transition="revised", column_kind="count")  # fmt: skip
    found = Revisions(old, new, ("2023",), ("new_la_code",), ("children",), (cell,), (), ())
    with open_history(url) as history:
        now = dt.datetime.now(dt.UTC)
        run_id = history.record_revisions(found, now, now)
        assert [(r.id, r.command, r.release, r.passed) for r in history.runs()] == [(run_id, "revisions", "new.csv", False)]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(sa.select(schema.revisions)).one()
            rows = connection.execute(sa.select(schema.inputs.c.source, schema.inputs.c.rows).order_by(schema.inputs.c.source)).all()
    finally:
        engine.dispose()
    assert (row.key, row.old, row.new, row.kind, row.change, row.beyond_tolerance) == ('{"new_la_code": "E06000001"}', "300",
                                                                                       "301", "substantive", 1.0, True)  # fmt: skip
    assert rows == [("new", 6), ("old", 7)]


def test_a_history_at_0001_is_upgraded_in_place_with_its_data(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade(connection, "0001")
        with engine.begin() as connection:
            now = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
            run = {"started_at": now, "finished_at": now, "command": "run", "release": "old", "tool_version": "0.0.1",
                   "passed": True, "gate": "release"}  # fmt: skip
            connection.execute(sa.table("runs", *map(sa.column, run)).insert(), [run])  # as 0001 knew the table
            assert MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads() == ("0001",)
            assert not sa.inspect(connection).get_indexes("check_outcomes")
    finally:
        engine.dispose()
    with open_history(url) as history:
        assert [(r.release, r.passed, r.failing_checks) for r in history.runs()] == [("old", True, 0)]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_heads() == ("0004",)
            assert [i["name"] for i in sa.inspect(connection).get_indexes("check_outcomes")] == ["ix_check_outcomes_run_id"]
            # The database the migrations built is exactly the metadata the store writes through.
            assert compare_metadata(MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}),
                                    schema.metadata) == []  # fmt: skip
    finally:
        engine.dispose()
    with open_history(url) as history:
        old_run = history.runs()[0].id
    assert _record(url, release()) > old_run  # new runs number on from the old ones


def test_a_history_from_a_newer_triangulate_is_refused(url: str) -> None:
    open_history(url).close()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.table(VERSION_TABLE, sa.column("version_num")).update().values(version_num="0099"))
    finally:
        engine.dispose()
    with pytest.raises(HistoryError, match=r"schema revision 0099, newer than this triangulate knows") as refused:
        open_history(url)
    assert refused.value.exit_code == 2 and "\n" not in str(refused.value)


@pytest.mark.parametrize("bad", ["postgresql+psycopg://someone:s3cret@127.0.0.1:1/history", "/no/such/folder/h.db",
                                 "nosuchdialect://x/y"])  # fmt: skip
def test_a_history_that_cannot_be_opened_is_one_line_without_the_password(bad: str) -> None:
    with pytest.raises(HistoryError) as refused:
        open_history(bad)
    message = str(refused.value)
    assert "s3cret" not in message and "\n" not in message and refused.value.exit_code == 2
    assert ("***" in message) if "s3cret" in bad else True


def test_diff_refuses_what_it_cannot_find(url: str) -> None:
    only = _record(url, release())
    with open_history(url) as history:
        with pytest.raises(HistoryError, match="no run of a release before 2024-03-31"):
            history.diff()
        with pytest.raises(HistoryError, match="no run or release 2019-20"):
            history.diff("2019-20", only)
        with pytest.raises(HistoryError, match="no run 99"):
            history.diff(99)


def test_a_file_that_is_not_a_history_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database, just text that is long enough to have a header page " * 20)
    with pytest.raises(HistoryError, match=r"notes\.db is not a readable SQLite database .*: not a triangulate history"):
        open_history(str(tmp_path / "notes.db"))
    assert [p.name for p in tmp_path.iterdir()] == ["notes.db"]  # nothing made beside it


def test_no_postgresql_fails_rather_than_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "BINARIES", "/nonexistent/*/bin/initdb")
    with pytest.raises(pytest.fail.Exception, match="TRIANGULATE_NO_POSTGRES=1"):
        postgres._bin_dir()


def _open(url: str, barrier: Any) -> None:
    barrier.wait()
    open_history(url).close()


def test_processes_creating_one_new_history_at_once_all_succeed(url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(6)
    openers = [context.Process(target=_open, args=(url, barrier)) for _ in range(6)]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(120)
    assert [o.exitcode for o in openers] == [0] * 6


def _record_many(url: str, count: int) -> None:
    for _ in range(count):
        _record(url, release())


def test_two_processes_recording_at_once_both_land(url: str) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_record_many, args=(url, 15)) for _ in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(180)
    assert [w.exitcode for w in writers] == [0, 0]
    with open_history(url) as history:
        assert len(history.runs()) == 30
    _assert_consistent(url, outcomes=4, comparisons=2)


def _record_forever(url: str, started: Any, writing: Any) -> None:
    """Record one big run after another; `writing` is 1 while a transaction is open, so the test can kill inside one."""

    def begin(_connection: sa.Connection) -> None:
        writing.value = 1

    def commit(_connection: sa.Connection) -> None:
        writing.value = 0

    sa.event.listen(sa.Engine, "begin", begin)
    sa.event.listen(sa.Engine, "commit", commit)
    found = release(bulk_checks=200, ids_per_check=1500, comparisons=2000)  # 300,000 record ids in one run
    with open_history(url) as history:
        while True:
            started.value += 1
            now = dt.datetime.now(dt.UTC)
            history.record(found, now, now)


def test_a_run_killed_while_recording_is_wholly_in_or_absent(url: str) -> None:
    context = multiprocessing.get_context("spawn")
    started, writing = context.Value("i", 0, lock=False), context.Value("i", 0, lock=False)
    for _ in range(4):
        writing.value = 0
        writer = context.Process(target=_record_forever, args=(url, started, writing))
        writer.start()
        time.sleep(random.uniform(2.5, 4.5))  # a few runs land first
        deadline = time.monotonic() + 60
        while not writing.value and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(random.uniform(0, 0.02))  # somewhere inside the transaction (one takes 0.1 s or more)
        writer.kill()  # SIGKILL: no cleanup of any kind
        writer.join()
    with open_history(url) as history:
        landed = len(history.runs())
    assert 0 < landed < started.value  # runs landed, and the killed ones did not
    _assert_consistent(url, outcomes=204, comparisons=2002)


def _assert_consistent(url: str, outcomes: int, comparisons: int) -> None:
    """Every run has all its rows: the same count under every run, per table."""
    expected = {schema.check_outcomes: outcomes, schema.comparisons: comparisons, schema.series: 3, schema.bridges: 1,
                schema.inputs: 2}  # fmt: skip
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            run_ids = set(connection.execute(sa.select(schema.runs.c.id)).scalars())
            for table, count in expected.items():
                per_run = dict(connection.execute(sa.select(table.c.run_id, sa.func.count()).group_by(table.c.run_id)).all())
                assert per_run == dict.fromkeys(run_ids, count), table.name
    finally:
        engine.dispose()

