"""Is it a triangulate history? Answered before anything is written to a file or database, by reading only.

A history is what carries our stamp (the table `triangulate_history_version`). A SQLite file is read through
a read-only connection that changes nothing and leaves no file beside it; a server database in a READ ONLY
transaction. Absent, a 0-byte file and an empty database (no tables in the schema) are where a history may be
made; anything else without our stamp is another application's, and left exactly as it was.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..safe_open import open_regular
from . import migrate
from .engine import Waiter, connect_sqlite, sibling, sqlite_uri
from .errors import HistoryError, reason

MAGIC = b"SQLite format 3\x00"
SHOWN_TABLES = 4  # a refusal names a few of another application's tables, not all


@dataclass(frozen=True)
class Found:
    state: str  # absent, empty, ours, foreign or unreadable
    stamp: tuple[str, ...] = ()  # ours: the schema revisions it is stamped with
    detail: str = ""  # foreign: some of its tables; unreadable: why
    wal: bool = False  # a SQLite file in WAL mode

    @property
    def new(self) -> bool:
        return self.state in ("absent", "empty")


def sqlite_file(path: Path, waiter: Waiter) -> Found:
    """What a SQLite file is, read without writing: its header first, then its schema through a `mode=ro` URI (a
    lock another connection holds is waited for as `waiter` says)."""
    if not path.exists():
        return Found("absent")
    try:
        # Never waited on: a FIFO (or one swapped in after a look at the path) is refused, not opened for ever.
        with open_regular(path, HistoryError) as handle:
            header = handle.read(100)
    except HistoryError as error:
        return Found("unreadable", detail=error.message)
    except OSError as error:  # the read itself
        return Found("unreadable", detail=error.strerror or type(error).__name__)
    if not header:
        return Found("empty")
    if len(header) < 100 or not header.startswith(MAGIC):
        return Found("unreadable", detail="no SQLite header")
    if header[18] not in (1, 2) or header[19] not in (1, 2):
        return Found("unreadable", detail="damaged header")
    wal = header[18] == 2
    # A WAL file with no -wal beside it holds every committed transaction itself: read as immutable, nothing
    # (not even -shm) is made beside it. With a -wal there, a reader must read through it, as any reader does.
    query = "mode=ro&immutable=1" if wal and not sibling(path, "-wal").exists() else "mode=ro"
    try:
        with closing(connect_sqlite(sqlite_uri(path, query), waiter, uri=True, reading=True)) as db:
            objects = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'").fetchall()
            tables = sorted(name for kind, name in objects if kind == "table")
            marks = (db.execute("PRAGMA application_id").fetchone()[0], db.execute("PRAGMA user_version").fetchone()[0])
            stamp = ()
            if migrate.VERSION_TABLE in tables:
                stamp = tuple(row[0] for row in db.execute(f"SELECT version_num FROM {migrate.VERSION_TABLE}"))  # noqa: S608 (our constant)
    except sqlite3.Error as error:
        return Found("unreadable", detail=reason(error))
    if migrate.VERSION_TABLE in tables:
        return Found("ours", stamp, wal=wal)
    if not objects and marks == (0, 0):
        return Found("empty", wal=wal)  # a SQLite database with nothing in it
    if not tables:
        return Found("foreign", detail=f"no tables, application_id {marks[0]}, user_version {marks[1]}", wal=wal)
    return Found("foreign", detail=_some(tables), wal=wal)


def database(connection: sa.Connection) -> Found:
    """What the connection's schema holds (the caller chooses the transaction: READ ONLY, or under the lock)."""
    inspector = sa.inspect(connection)
    tables = sorted(inspector.get_table_names())
    if migrate.VERSION_TABLE in tables:
        return Found("ours", migrate.current(connection))
    others = tables or sorted(inspector.get_view_names())
    return Found("foreign", detail=_some(others)) if others else Found("empty")


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_TABLES])
    return shown + (f" and {len(names) - SHOWN_TABLES} more" if len(names) > SHOWN_TABLES else "")


def refuse(found: Found, shown: str, *, reading: bool) -> None:
    """Stop with one line unless a run may go on: a reader needs a history it can read, a writer one it may
    create, upgrade or add to."""
    if found.state == "unreadable":
        raise HistoryError(f"history {shown} is not a readable SQLite database ({found.detail}): "
                           "not a triangulate history, left as it is")  # fmt: skip
    if found.state == "foreign":
        raise HistoryError(f"history {shown} holds another application's data ({found.detail}) and no "
                           f"{migrate.VERSION_TABLE}: not a triangulate history, left as it is")  # fmt: skip
    if found.new:
        if reading:
            raise HistoryError(f"no history at {shown}")
        return
    known, heads = migrate.known_revisions()
    unknown = sorted(set(found.stamp) - known)
    if unknown:
        raise HistoryError(f"history {shown} has schema revision {', '.join(unknown)}, newer than this triangulate "
                           f"knows (head {', '.join(heads)}): upgrade triangulate to use it")  # fmt: skip
    if not found.stamp:
        raise HistoryError(f"history {shown} has an empty {migrate.VERSION_TABLE}: not a triangulate history, left as it is")
    if reading and not migrate.readable(found.stamp):
        raise HistoryError(f"history {shown} has schema revision {', '.join(found.stamp)}, older than this triangulate "
                           f"reads (from {migrate.READABLE_FROM}): record a run in it with --history to upgrade it")  # fmt: skip
