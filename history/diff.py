"""What changed between two recorded runs: checks, comparisons and published figures, and whether that passes.

Only changes are listed. A check is `new` (passing or absent before, failing now), `fixed` (failing
before, passing now), `worse` or `better` (more or fewer failures), `changed` (same count, other
records, status or severity) or `absent` (failing before, not run at all now). The diff fails when
a check that blocks a release is new or worse, a comparison becomes a discrepancy, or a published
figure is revised by more than the tolerance; not for a finding the newer run acknowledged (its gate
did not block on it). Acknowledgements that began or lapsed are listed too (model/changes.py `Changes`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from ..domain.acknowledgements import AckStatus
from ..domain.identity import SeriesKey
from ..domain.intervals import from_ends
from ..domain.status import Status
from ..model.memory import (
    COMPARED_COMMANDS,
    Changes,
    RememberedAcknowledgement,
    RememberedCheck,
    RememberedComparison,
    RememberedFigure,
    RememberedRun,
    RunRef,
    changes,
)
from . import schema
from .errors import HistoryError

MAX_RUN_ID = {"postgresql": 2**31 - 1}  # runs.id is an INTEGER: 4 bytes on PostgreSQL, 8 on SQLite
COMPARED = COMPARED_COMMANDS


def run_id(connection: sa.Connection, ref: int | str) -> int | None:
    """The run id a reference names, if it can name one: an int, or ASCII digits (not "²" nor "١") within the
    database's integer range; anything else can only be a release label."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, str):
        if not (ref.isascii() and ref.isdigit()):
            return None
        ref = int(ref)
    return ref if 0 < ref <= MAX_RUN_ID.get(connection.dialect.name, 2**63 - 1) else None


def resolve(connection: sa.Connection, ref: int | str) -> sa.Row[Any]:
    """A run id (an int, or a string of digits naming an existing run) or a release label (its latest run)."""
    r = schema.runs.c
    columns = (r.id, r.release, r.started_at, r.command, r.passed)
    number = run_id(connection, ref)
    by_id = connection.execute(sa.select(*columns).where(r.id == number)).first() if number is not None else None
    if isinstance(ref, int) and not isinstance(ref, bool):
        if by_id is None:
            raise HistoryError(f"no run {ref} in the history")
        return by_id
    by_label = connection.execute(sa.select(*columns).where(r.release == str(ref)).order_by(r.id.desc()).limit(1)).first()
    if by_id is not None and by_label is not None and by_id.id != by_label.id:
        raise HistoryError(f"{ref} is both a run id and a release label: pass the run id as a number")
    found = by_id or by_label
    if found is None:
        raise HistoryError(f"no run or release {str(ref)[:80]} in the history")
    return found


def default_refs(connection: sa.Connection, from_ref: int | str | None, to_ref: int | str | None) -> tuple[sa.Row[Any], sa.Row[Any]]:
    """`to` defaults to the latest run; `from` to the latest earlier run of the same command and another release."""
    r = schema.runs.c
    columns = (r.id, r.release, r.started_at, r.command, r.passed)
    if to_ref is not None:
        to = resolve(connection, to_ref)
    else:
        to = connection.execute(sa.select(*columns).where(r.command != "revisions").order_by(r.id.desc()).limit(1)).first()
        if to is None:
            raise HistoryError("the history has no run to compare")
    if from_ref is not None:
        return resolve(connection, from_ref), to
    if to.command not in COMPARED:
        raise HistoryError(f"run {to.id} (release {to.release}) is a `{to.command}` run: history diff compares runs of "
                           f"{', '.join(COMPARED)}, and a `revisions` run's changes are in its own report")  # fmt: skip
    earlier = connection.execute(
        sa.select(*columns).where(r.id < to.id, r.release != to.release, r.command == to.command).order_by(r.id.desc()).limit(1)
    ).first()
    if earlier is None:
        raise HistoryError(f"no run of a release before {to.release} (run {to.id}) to compare it with")
    return earlier, to


def like_with_like(old: sa.Row[Any], new: sa.Row[Any]) -> None:
    """A diff of a `revisions` run (which records no checks, comparisons or series) would find nothing changed."""
    if old.command in COMPARED and new.command in COMPARED:
        return
    raise HistoryError(f"cannot diff run {old.id} (`{old.command}`, release {old.release}) with run {new.id} "
                       f"(`{new.command}`, release {new.release}): history diff compares runs of "
                       f"{', '.join(COMPARED)}, and a `revisions` run's changes are in its own report")  # fmt: skip


def diff_runs(connection: sa.Connection, from_ref: int | str | None, to_ref: int | str | None, tolerance: float) -> Changes:
    """What changed between two recorded runs: the one diff (model/memory.py `changes`) on both as remembered."""
    old, new = default_refs(connection, from_ref, to_ref)
    like_with_like(old, new)
    return changes(load_run(connection, old.id), load_run(connection, new.id), revision_tolerance=tolerance)


def run_ref(row: sa.Row[Any]) -> RunRef:
    return RunRef(row.id, row.release, utc(row.started_at), row.command, bool(row.passed) if row.passed is not None else None)


def utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment in UTC: SQLite's come without a zone (written in UTC), PostgreSQL's in the session's zone."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def load_run(connection: sa.Connection, run: int) -> RememberedRun:
    """One recorded run as the history remembers it: its checks, comparisons, figures and acknowledgements, typed."""
    r = schema.runs.c
    found = connection.execute(sa.select(r.id, r.release, r.started_at, r.command, r.passed).where(r.id == run)).one()
    c = schema.check_outcomes.c
    checks = tuple(
        RememberedCheck(row.key, row.source, row.check_id, row.severity, Status(row.status), row.failed,
                        frozenset(json.loads(row.people)))
        for row in connection.execute(
            sa.select(c.key, c.source, c.check_id, c.severity, c.status, c.failed, c.people).where(c.run_id == run).order_by(c.id))
    )
    return RememberedRun(run_ref(found), checks, load_comparisons(connection, (run,)), load_figures(connection, run),
                         load_acknowledgements(connection, run))  # fmt: skip


def load_acknowledgements(connection: sa.Connection, run: int) -> tuple[RememberedAcknowledgement, ...]:
    a = schema.acknowledgements.c
    query = (sa.select(a.key, a.status, a.reason, a.owner, a.acknowledged_on, a.expires, a.evidence, a.evidence_now)
             .where(a.run_id == run).order_by(a.id))  # fmt: skip
    return tuple(
        RememberedAcknowledgement(row.key, AckStatus(row.status), row.reason, row.owner, row.acknowledged_on, row.expires,
                                  json.loads(row.evidence), json.loads(row.evidence_now) if row.evidence_now is not None else None)
        for row in connection.execute(query)
    )  # fmt: skip


def load_comparisons(connection: sa.Connection, runs: tuple[int, ...]) -> tuple[RememberedComparison, ...]:
    k = schema.comparisons.c
    query = (sa.select(k.key, k.measure, k.geography, k.left, k.right, k.period, k.status, k.left_low, k.left_high,
                       k.right_low, k.right_high).where(k.run_id.in_(runs)).order_by(k.id))  # fmt: skip
    return tuple(
        RememberedComparison(row.key, SeriesKey(row.measure, row.geography, row.left, row.right), row.period, Status(row.status),
                             from_ends(row.left_low, row.left_high), from_ends(row.right_low, row.right_high))
        for row in connection.execute(query)
    )


def load_figures(connection: sa.Connection, run: int) -> tuple[RememberedFigure, ...]:
    s = schema.series.c
    query = (sa.select(s.source, s.measure, s.period, s.geography, s.low, s.high, s.per_12_low, s.per_12_high, s.published)
             .where(s.run_id == run).order_by(s.id))  # fmt: skip
    return tuple(
        RememberedFigure(row.source, row.measure, row.period, row.geography, from_ends(row.low, row.high),
                         from_ends(row.per_12_low, row.per_12_high), bool(row.published))
        for row in connection.execute(query)
    )
