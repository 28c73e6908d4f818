"""open_history and History: record a run with everything under it in one transaction, list runs, diff two.

A run is written in ONE transaction, so a process killed at any moment leaves it wholly in or absent.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from ..domain.acknowledgements import AckStatus
from ..domain.identity import keyer
from ..domain.intervals import from_ends
from ..domain.status import Status
from ..model.memory import (
    COMPARED_COMMANDS,
    Changes,
    Memory,
    PastComparison,
    PastFigure,
    ReleaseFigure,
    RememberedRun,
    RunRef,
    remember,
    with_people,
)
from ..model.release import Release
from ..model.revisions import Revisions
from . import rows, schema
from .diff import diff_runs, load_comparisons, load_run, utc
from .engine import Waiter, failure, lock_timeout
from .errors import HistoryError, safe_url
from .opening import open_engine


@dataclass(frozen=True)
class RunSummary:
    id: int
    release: str
    command: str
    started_at: dt.datetime
    finished_at: dt.datetime
    passed: bool
    failing_checks: int  # outcomes that did not pass: failed, crashed or not run
    discrepancies: int
    acknowledged: int = 0  # findings its acknowledgements file let pass

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.id, "release": self.release, "command": self.command,
                "started_at": self.started_at.isoformat(), "finished_at": self.finished_at.isoformat(),
                "passed": self.passed, "failing_checks": self.failing_checks, "discrepancies": self.discrepancies,
                "acknowledged": self.acknowledged}  # fmt: skip


def open_history(url: str, *, create: bool = True) -> History:
    """Open the history at a SQLAlchemy URL or a bare SQLite path, after recognising it by reading only
    (history/recognise.py): what is not a triangulate history is refused and left exactly as it was.

    `create=True` is for a run that records: the history is made (in an absent or empty file or database) or
    upgraded in place, and proven writable (a run opens it through history/for_run.py `open_for_run`: before any
    work, but a SQLite file not there yet only when it records). `create=False` is for the commands that
    only read (`history list`, `history diff`): nothing is created, upgraded or written, and a history that is
    not there is `no history at URL`.
    """
    shown = safe_url(url)
    waiter = Waiter(shown, lock_timeout())
    try:
        engine = open_engine(url, shown, waiter, write=create)
    except HistoryError:
        raise
    except (SQLAlchemyError, CommandError, OSError, sqlite3.Error) as error:
        raise failure("open", shown, error, waiter) from None
    return History(engine, shown, waiter, writable=create)


class History:
    """A run history in a database. Use open_history() to get one; close() (or `with`) releases it."""

    def __init__(self, engine: sa.Engine, shown_url: str, waiter: Waiter, *, writable: bool = True) -> None:
        self._engine = engine
        self._waiter = waiter
        self.url = shown_url  # without its password
        self.writable = writable  # False: opened by a command that only reads
        self._secret: bytes | None = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    @property
    def secret(self) -> bytes:
        """The history's own secret, which person keys are made with (domain/identity.py); read once."""
        if self._secret is None:
            t = schema.identity.c
            with self._reading() as connection:
                value = connection.execute(sa.select(t.value).where(t.name == "pseudonym_secret")).scalar_one_or_none()
            if value is None:
                raise HistoryError(f"history {self.url} has no pseudonym secret: it was not made by triangulate")
            self._secret = bytes.fromhex(value)
        return self._secret

    def record(self, release: Release, started_at: dt.datetime, finished_at: dt.datetime,
               inputs_rows: Mapping[str, int] | None = None, *, label: str | None = None) -> int:  # fmt: skip
        """Record a run and return its id: its keys and its failing records' person keys (`with_people`), never
        its record ids. `inputs_rows` maps an input's path to its row count; `label` is the release the run
        belongs to (default: the reference date, else the config's name), which `diff` refers to.
        """
        with self.recording(release, started_at, finished_at, label=label, inputs_rows=inputs_rows) as remembered:
            return remembered.run.run_id

    def record_revisions(self, revisions: Revisions, started_at: dt.datetime, finished_at: dt.datetime, *,
                         label: str | None = None, config_text: str | None = None) -> int:  # fmt: skip
        """Record a `triangulate revisions` run: both vintages and every revised cell (label: the new file's name)."""
        with self.recording_revisions(revisions, started_at, finished_at, label=label, config_text=config_text) as run_id:
            return run_id

    @contextmanager
    def recording(self, release: Release, started_at: dt.datetime, finished_at: dt.datetime, *,
                  label: str | None = None, inputs_rows: Mapping[str, int] | None = None) -> Iterator[RememberedRun]:  # fmt: skip
        """Record a run in a transaction that commits when the block ends (after the caller has written its
        outputs); inside, yields the run as remembered, with its id.

        The transaction takes the write lock on entering (waiting for another run's, as open_history does). A run
        killed inside the block is absent from the history; one that finished it is wholly in it. A commit that
        fails raises HistoryError from the block's end, so the caller knows its outputs are not recorded.
        """
        if any(o.record_ids and not o.people for s in release.sources for o in s.outcomes):
            release = with_people(release, keyer(self.secret))  # the history remembers people, never record ids
        with self._writing() as connection:
            run = rows.run_row(release, started_at, finished_at, label)
            run_id = int(connection.execute(schema.runs.insert(), run).inserted_primary_key[0])
            remembered = remember(release, RunRef(run_id, run["release"], run["started_at"], release.command, release.passed))
            self._insert_children(connection, run_id, _run_children(release, remembered, inputs_rows))
            yield remembered

    def memory(self, label: str, command: str) -> Memory:
        """What a run of release `label` needs of the past, read before it reconciles: the latest run of the same
        command of another release, each other release's latest comparisons, and each release's headline figures."""
        if command not in COMPARED_COMMANDS:
            return Memory()
        r = schema.runs.c
        with self._reading() as connection:
            previous = connection.execute(sa.select(r.id).where(r.release != label, r.command == command)
                                          .order_by(r.id.desc()).limit(1)).scalar_one_or_none()  # fmt: skip
            latest = connection.execute(
                sa.select(sa.func.max(r.id), r.release).where(r.release != label, r.command.in_(("run", "reconcile")))
                .group_by(r.release)).all()  # fmt: skip
            releases = {int(run_id): release for run_id, release in latest}
            a = schema.acknowledgements.c
            settled = {(row.run_id, row.key) for row in connection.execute(
                sa.select(a.run_id, a.key).where(a.run_id.in_(tuple(releases)), a.status == AckStatus.ACKNOWLEDGED))}  # fmt: skip
            past = tuple(PastComparison(releases[c_run], c_run, c, (c_run, c.key) in settled)
                         for c_run, c in _comparisons_by_run(connection, tuple(releases)))  # fmt: skip
            return Memory(load_run(connection, previous) if previous is not None else None, past,
                          across_releases(connection, exclude=label), _figures(connection, releases))  # fmt: skip

    @contextmanager
    def recording_revisions(self, revisions: Revisions, started_at: dt.datetime, finished_at: dt.datetime, *,
                            label: str | None = None, config_text: str | None = None) -> Iterator[int]:  # fmt: skip
        """Record a `triangulate revisions` run as `recording` does: yields its run id, commits when the block ends."""
        with self._writing() as connection:
            run = rows.revisions_run_row(revisions, started_at, finished_at, label, config_text)
            run_id = int(connection.execute(schema.runs.insert(), run).inserted_primary_key[0])
            self._insert_children(connection, run_id, {schema.inputs: rows.vintage_rows(revisions),
                                                       schema.revisions: rows.revision_rows(revisions)})  # fmt: skip
            yield run_id

    @staticmethod
    def _insert_children(connection: sa.Connection, run_id: int, children: Mapping[sa.Table, list[rows.Row]]) -> None:
        for table, found in children.items():
            if found:
                connection.execute(table.insert(), [{**row, "run_id": run_id} for row in found])

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """One transaction, committed when the block ends; any failure of the database's is one line."""
        if not self.writable:
            raise HistoryError(f"history {self.url} was opened for reading: no run can be recorded through it")
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise failure("record the run in", self.url, error, self._waiter) from None

    def runs(self, limit: int | None = None) -> list[RunSummary]:
        """Every run, newest first, with how many checks did not pass, how many comparisons disagree and how many
        findings were acknowledged."""
        failing = (sa.select(schema.check_outcomes.c.run_id, sa.func.count().label("n"))
                   .where(schema.check_outcomes.c.status != Status.PASSED).group_by(schema.check_outcomes.c.run_id).subquery())  # fmt: skip
        discrepant = (sa.select(schema.comparisons.c.run_id, sa.func.count().label("n"))
                      .where(schema.comparisons.c.status == Status.DISCREPANCY).group_by(schema.comparisons.c.run_id).subquery())  # fmt: skip
        a = schema.acknowledgements.c
        settled = (sa.select(a.run_id, sa.func.count().label("n")).where(a.status == AckStatus.ACKNOWLEDGED)
                   .group_by(a.run_id).subquery())  # fmt: skip
        r = schema.runs.c
        query = (
            sa.select(r.id, r.release, r.command, r.started_at, r.finished_at, r.passed,
                      sa.func.coalesce(failing.c.n, 0), sa.func.coalesce(discrepant.c.n, 0), sa.func.coalesce(settled.c.n, 0))
            .outerjoin(failing, failing.c.run_id == r.id).outerjoin(discrepant, discrepant.c.run_id == r.id)
            .outerjoin(settled, settled.c.run_id == r.id).order_by(r.id.desc()).limit(limit)
        )  # fmt: skip
        with self._reading() as connection:
            found = connection.execute(query).all()
        return [RunSummary(row[0], row[1], row[2], utc(row[3]), utc(row[4]), bool(row[5]), int(row[6]), int(row[7]), int(row[8]))
                for row in found]  # fmt: skip

    def diff(self, from_ref: int | str | None = None, to_ref: int | str | None = None, *,
             revision_tolerance: float = 0.0) -> Changes:  # fmt: skip
        """What changed between two runs (see history/diff.py); refs are run ids or release labels.

        Each side also says whether that run passed its own gate, since `passed` here is about the changes only.
        """
        with self._reading() as connection:
            return diff_runs(connection, from_ref, to_ref, revision_tolerance)

    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        """A read transaction: SQLite's deferred BEGIN (in WAL, never waiting for a writer), PostgreSQL's READ ONLY."""
        try:
            with self._engine.connect() as connection:
                connection.execution_options(history_read_only=True)
                with connection.begin():
                    yield connection
        except SQLAlchemyError as error:
            raise failure("read", self.url, error, self._waiter) from None


def across_releases(connection: sa.Connection, *, exclude: str | None = None) -> tuple[ReleaseFigure, ...]:
    """Each release's figure per measure and source: its latest run's value per 12 months for the latest period it has."""
    r, s = schema.runs.c, schema.series.c
    latest = (sa.select(sa.func.max(r.id).label("id")).where(r.command.in_(("run", "reconcile")), r.release != (exclude or ""))
              .group_by(r.release).subquery())  # fmt: skip
    query = (sa.select(r.id, r.release, s.source, s.measure, s.period, s.per_12_low, s.per_12_high)
             .join(latest, latest.c.id == r.id).join(schema.series, s.run_id == r.id).order_by(r.id, s.period))  # fmt: skip
    newest: dict[tuple[int, str, str], ReleaseFigure] = {}
    for row in connection.execute(query):
        newest[(row.id, row.measure, row.source)] = ReleaseFigure(row.id, row.release, row.measure, row.source, row.period,
                                                                  from_ends(row.per_12_low, row.per_12_high))  # fmt: skip
    return tuple(newest.values())


def _figures(connection: sa.Connection, releases: Mapping[int, str]) -> tuple[PastFigure, ...]:
    """The national figures of the runs given (their release's latest), oldest run first."""
    s = schema.series.c
    query = (sa.select(s.run_id, s.source, s.measure, s.period, s.geography, s.low, s.high)
             .where(s.run_id.in_(tuple(releases))).order_by(s.run_id, s.id))  # fmt: skip
    out = []
    for row in connection.execute(query):
        value = from_ends(row.low, row.high)
        if value is not None:
            out.append(PastFigure(releases[row.run_id], row.run_id, row.source, row.measure, row.period, row.geography, value))
    return tuple(out)


def _comparisons_by_run(connection: sa.Connection, runs: tuple[int, ...]) -> list[tuple[int, Any]]:
    """Every comparison of the runs given, with its run id, oldest run first."""
    found = []
    for run_id in sorted(runs):
        found += [(run_id, c) for c in load_comparisons(connection, (run_id,))]
    return found


def _run_children(release: Release, remembered: RememberedRun,
                  inputs_rows: Mapping[str, int] | None) -> dict[sa.Table, list[rows.Row]]:  # fmt: skip
    return {
        schema.inputs: rows.input_rows(release, inputs_rows),
        schema.check_outcomes: rows.check_rows(release, remembered),
        schema.comparisons: rows.comparison_rows(release, remembered),
        schema.series: rows.series_rows(remembered),
        schema.bridges: rows.bridge_rows(release),
        schema.acknowledgements: rows.acknowledgement_rows(remembered),
    }


