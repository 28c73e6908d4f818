"""What changed between two recorded runs: checks, comparisons and published figures, and whether that passes.

Only changes are listed. A check is `new` (passing or absent before, failing now), `fixed` (failing
before, passing now), `worse` or `better` (more or fewer failures), `changed` (same count, other
records, status or severity) or `absent` (failing before, not run at all now). The diff fails when
a check that blocks a release is new or worse, a comparison becomes a discrepancy, or a published
figure is revised by more than the tolerance.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import sqlalchemy as sa

from . import schema
from .errors import HistoryError

Key = tuple[str, ...]


MAX_RUN_ID = {"postgresql": 2**31 - 1}  # runs.id is an INTEGER: 4 bytes on PostgreSQL, 8 on SQLite
COMPARED = ("check", "reconcile", "run")  # the commands whose runs a diff compares; `revisions` has its own report


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
    columns = (r.id, r.release, r.started_at, r.command)
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
    columns = (r.id, r.release, r.started_at, r.command)
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


def diff_runs(connection: sa.Connection, from_ref: int | str | None, to_ref: int | str | None, tolerance: float) -> dict[str, Any]:
    old, new = default_refs(connection, from_ref, to_ref)
    like_with_like(old, new)
    checks = _checks(_load_checks(connection, old.id), _load_checks(connection, new.id))
    comparisons = _comparisons(_load_comparisons(connection, old.id), _load_comparisons(connection, new.id))
    published = _published(_load_published(connection, old.id), _load_published(connection, new.id), tolerance)
    blocking = [c.pop("_blocks") for c in checks]  # every entry loses its private flag
    passed = (not any(blocking)
              and not any(c["new_status"] == "discrepancy" for c in comparisons)
              and not any(p["beyond_tolerance"] for p in published))  # fmt: skip
    return {"from": _run(old), "to": _run(new), "checks": checks, "comparisons": comparisons, "published": published,
            "passed": passed}  # fmt: skip


def _run(row: sa.Row[Any]) -> dict[str, Any]:
    started = row.started_at if row.started_at.tzinfo else row.started_at.replace(tzinfo=dt.UTC)
    return {"run_id": row.id, "release": row.release, "started_at": started.isoformat()}


def _load_checks(connection: sa.Connection, run_id: int) -> dict[Key, sa.Row[Any]]:
    c = schema.check_outcomes.c
    query = sa.select(c.source, c.check_id, c.severity, c.status, c.failed, c.record_ids).where(c.run_id == run_id).order_by(c.id)
    return {(row.source, row.check_id): row for row in connection.execute(query)}


def _checks(old: dict[Key, sa.Row[Any]], new: dict[Key, sa.Row[Any]]) -> list[dict[str, Any]]:
    out = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        change = _change(before, after)
        if change is None:
            continue
        old_ids = json.loads(before.record_ids) if before is not None else []
        new_ids = json.loads(after.record_ids) if after is not None else []
        old_set, new_set = set(old_ids), set(new_ids)
        blocks = after is not None and after.severity == "error" and (after.status == "crashed" or after.failed > 0)
        out.append({"source": key[0], "id": key[1],
                    "old_failed": before.failed if before is not None else None,
                    "new_failed": after.failed if after is not None else None, "change": change,
                    "new_record_ids": [i for i in new_ids if i not in old_set],
                    "fixed_record_ids": [i for i in old_ids if i not in new_set],
                    "_blocks": change in ("new", "worse") and blocks})  # fmt: skip
    return out


def _change(before: sa.Row[Any] | None, after: sa.Row[Any] | None) -> str | None:
    was = before is not None and before.status != "passed"
    if after is None:
        return "absent" if was else None
    now = after.status != "passed"
    if now and not was:
        return "new"
    if was and not now:
        return "fixed"
    if before is None or tuple(before[2:]) == tuple(after[2:]):
        return None  # both passing (or absent and passing), or nothing at all changed
    if not now:
        return None  # passing in both runs
    if after.failed != before.failed:
        return "worse" if after.failed > before.failed else "better"
    return "changed"


def _load_comparisons(connection: sa.Connection, run_id: int) -> dict[Key, str]:
    c = schema.comparisons.c
    query = sa.select(c.measure, c.period, c.geography, c.left, c.right, c.status).where(c.run_id == run_id)
    return {tuple(row[:5]): row.status for row in connection.execute(query)}


def _comparisons(old: dict[Key, str], new: dict[Key, str]) -> list[dict[str, Any]]:
    return [
        {"measure": k[0], "period": k[1], "geography": k[2], "left": k[3], "right": k[4],
         "old_status": old.get(k), "new_status": new.get(k)}
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k)
    ]


def _load_published(connection: sa.Connection, run_id: int) -> dict[Key, tuple[float | None, float | None]]:
    s = schema.series.c
    query = sa.select(s.source, s.measure, s.period, s.geography, s.low, s.high).where(s.run_id == run_id, s.published)
    return {tuple(row[:4]): (row.low, row.high) for row in connection.execute(query)}


def _published(old: dict[Key, Any], new: dict[Key, Any], tolerance: float) -> list[dict[str, Any]]:
    """Revisions of a figure both runs have; a period only one run has is new data, not a revision."""
    out = []
    for key in sorted(old.keys() & new.keys()):
        if old[key] == new[key]:
            continue
        out.append({"source": key[0], "measure": key[1], "period": key[2], "geography": key[3],
                    "old": _plain(old[key]), "new": _plain(new[key]),
                    "beyond_tolerance": _distance(old[key], new[key]) > tolerance})  # fmt: skip
    return out


def _distance(a: tuple[float | None, float | None], b: tuple[float | None, float | None]) -> float:
    """How far two intervals' ends moved; an end that appears or disappears (no bound, not available) is infinite."""
    moved = 0.0
    for x, y in zip(a, b, strict=True):
        if (x is None) != (y is None):
            return math.inf
        if x is not None and y is not None:
            moved = max(moved, abs(x - y))
    return moved


def _plain(value: tuple[float | None, float | None]) -> list[float | int | None]:
    return [int(v) if v is not None and float(v).is_integer() else v for v in value]
