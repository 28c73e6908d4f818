"""A history URL becomes an engine: a SQLite writer, a SQLite reader that writes nothing, or a server (PostgreSQL
through psycopg 3). Every wait for a lock is bounded by one timeout, and said once on stderr.

SQLite waits for a lock in its busy handler, in C, where Python runs no signal handler: a run waiting there for the
timeout (30 s by default, up to a day) would not stop for Ctrl-C, SIGTERM or SIGHUP. So SQLite is let wait a slice
at a time (BUSY_SLICE_S) and Python tries again until the one deadline: between the tries the handlers lifecycle.py
installs run, and the `Stopped` they raise ends the wait at once.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .. import connections
from ..connections import at_in_password, postgres_connect_args
from .errors import HistoryError, reason, safe_url

TIMEOUT_VARIABLE = "TRIANGULATE_HISTORY_TIMEOUT"
DEFAULT_TIMEOUT_S = 30.0  # how long a run waits for another run's transaction on the same history
MAX_TIMEOUT_S = 86_400.0  # SQLite and PostgreSQL take milliseconds as a 32-bit integer: a day is well inside
WAITING = "triangulate: waiting for the history, locked by another run…"
SQLITE_BUSY = 5
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires
BUSY_SLICE_S = 0.1  # the longest SQLite waits for a lock in C before Python, and so a signal's handler, runs again

T = TypeVar("T")


def lock_timeout() -> float:
    """Seconds to wait for a locked history: TRIANGULATE_HISTORY_TIMEOUT, else 30."""
    text = os.environ.get(TIMEOUT_VARIABLE)
    if text is None or not text.strip():
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_TIMEOUT_S:  # also refuses nan
        raise HistoryError(f"{TIMEOUT_VARIABLE}={text.strip()[:40]!r}: give the seconds a run may wait for a locked "
                           f"history, a number from 0 to {MAX_TIMEOUT_S:.0f}")  # fmt: skip
    return seconds


class Waiter:
    """One run's patience with a locked history: how long it may wait, and the one line saying that it waits."""

    def __init__(self, shown: str, timeout: float) -> None:
        self.shown = shown
        self.timeout = timeout
        self.milliseconds = int(timeout * 1000)
        self.slice_s = min(BUSY_SLICE_S, timeout)  # what SQLite may wait in C at one go
        self._said = False

    def waiting(self) -> None:
        if not self._said:  # once per run, however many times it waits
            self._said = True
            # Standard error only, never standard output (`--json -`); one closed at start is None to Python
            # unless environment.py has rebuilt it, and one that fails loses the line: the exit code still tells.
            stream = sys.stderr
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.write(WAITING + "\n")
                    stream.flush()

    def patiently(self, attempt: Callable[[], T]) -> T:
        """`attempt()`, tried again while SQLite answers that another connection holds the lock, until the timeout
        has passed since the first try (then one line, HistoryError); saying once, after the first refusal, that it
        waits. Each try waits at most `slice_s` in C, so a signal stops the wait between two tries."""
        started = time.monotonic()
        while True:
            tried = time.monotonic()
            try:
                return attempt()
            except sqlite3.OperationalError as error:
                if not _busy(error):
                    raise
            now = time.monotonic()
            if now - started >= self.timeout:  # a timeout of 0: told not to wait
                raise self.locked(now - started if self.milliseconds else 0.0)
            self.waiting()
            if now - tried < self.slice_s / 2:  # refused at once (SQLite's handler did not wait): no busy loop
                time.sleep(min(self.slice_s, self.timeout - (now - started)))

    def locked(self, waited: float) -> HistoryError:
        return HistoryError(f"history {self.shown} is locked by another run: gave up after waiting {waited:.1f} s "
                            f"({TIMEOUT_VARIABLE} sets how long, in seconds)")  # fmt: skip


def failure(doing: str, shown: str, error: BaseException, waiter: Waiter) -> HistoryError:
    """A driver's error as the one line the user sees: a lock or connect timeout said in words, else its reason."""
    cause = getattr(error, "orig", None) or error
    if getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return waiter.locked(waiter.timeout)
    if type(cause).__name__ == "ConnectionTimeout":  # psycopg's, not imported: SQLite needs no psycopg
        return HistoryError(f"cannot {doing} history {shown}: the server did not answer within the connect timeout "
                            f"({connections.CONNECT_TIMEOUT_S} s unless the URL sets connect_timeout)")  # fmt: skip
    return HistoryError(f"cannot {doing} history {shown}: {reason(error)}")


def database_url(text: str) -> URL:
    """A SQLAlchemy URL; a bare path means a SQLite file there, and plain `postgresql://` means psycopg 3."""
    if "://" not in text:
        return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().absolute()))
    if at_in_password(text):
        raise HistoryError(f"history {safe_url(text)}: the password holds an @: write it as %40 in the URL")
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):  # the parser's words may quote the password
        raise HistoryError(f"history {safe_url(text)} is not a database URL (dialect+driver://user:password@host:port/database)") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def sqlite_path(url: URL, shown: str, *, reading: bool = False) -> Path | None:
    """The file a SQLite URL names (None: in memory); its folder must exist, since SQLite would not say why it failed."""
    database = url.database or ""
    if database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        raise HistoryError(f"history {shown}: give a SQLite history as a path or sqlite:///path, not a file: URI")
    path = Path(database).expanduser().absolute()
    if reading and not path.exists():
        raise HistoryError(f"no history at {shown}")
    if not path.parent.is_dir():
        raise HistoryError(f"history {shown}: folder {path.parent} does not exist")
    if path.is_dir():
        raise HistoryError(f"history {shown} is a folder: not a triangulate history")
    return path


def sibling(path: Path, suffix: str) -> Path:
    """SQLite's own files beside a database: -wal, -shm, -journal."""
    return path.with_name(path.name + suffix)


def writable(path: Path) -> bool:
    """Whether this process may write there; the kernel's answer, so an immutable file or a read-only mount
    says no even to root."""
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0), effective_ids=effective)


def sqlite_uri(path: Path, query: str) -> str:
    return f"file:{quote(str(path))}?{query}"


class PatientConnection(sqlite3.Connection):
    """A SQLite connection whose statements wait for a lock as `Waiter.patiently` does: in Python, between slices.

    A statement refused as busy is tried again where SQLite says that is safe: outside a transaction, a COMMIT, and
    inside a transaction that only reads (`reading`: a reader never wants the write lock, so it cannot deadlock).
    Inside a write transaction (BEGIN IMMEDIATE holds the write lock already; in WAL nothing else is waited for) a
    refusal is the error it is."""

    waiter: Waiter | None = None
    reading = False  # a read-only connection, or a read-only transaction of a writer's

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _PatientCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        if self.waiter is None:
            super().commit()
        else:
            self.waiter.patiently(super().commit)


class _PatientCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        connection = self.connection
        waiter = getattr(connection, "waiter", None)
        if waiter is None or (connection.in_transaction and not getattr(connection, "reading", False)
                              and sql.strip().upper() != "COMMIT"):  # fmt: skip
            return super().execute(sql, parameters)
        return waiter.patiently(lambda: sqlite3.Cursor.execute(self, sql, parameters))


def connect_sqlite(target: str, waiter: Waiter, *, uri: bool = False, reading: bool = False) -> PatientConnection:
    """A connection that waits patiently (`PatientConnection`), with the driver's own implicit transactions off so
    that each engine's `begin` decides how one starts; `reading`: it only ever reads."""
    connection = sqlite3.connect(target, uri=uri, isolation_level=None, check_same_thread=False, timeout=waiter.slice_s,
                                 factory=PatientConnection)  # fmt: skip
    connection.waiter = waiter
    connection.reading = reading
    return connection


def sqlite_writer(path: Path | None, waiter: Waiter) -> sa.Engine:
    """A writer on a file already recognised as a history (or new): WAL, foreign keys, BEGIN IMMEDIATE."""

    def connect() -> sqlite3.Connection:
        return connect_sqlite(str(path) if path else ":memory:", waiter)

    options: dict[str, Any] = {} if path else {"poolclass": sa.pool.StaticPool}
    engine = sa.create_engine(_url(path), creator=connect, **options)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer, nor it for them
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        reading = bool(connection.get_execution_options().get("history_read_only", False))
        dbapi_connection.reading = reading
        if reading:
            dbapi_connection.execute("BEGIN")
            return
        begin_immediate(dbapi_connection, waiter)

    return engine


def begin_immediate(dbapi_connection: sqlite3.Connection, waiter: Waiter) -> None:
    """Take the write lock when the transaction begins, waiting for it (saying so) for at most the timeout, so a
    writer never fails halfway through with SQLITE_BUSY, which a deferred transaction that reads first would."""
    try:
        # A plain cursor: `patiently` is the one loop, whatever kind of connection this is.
        waiter.patiently(lambda: sqlite3.Cursor(dbapi_connection).execute("BEGIN IMMEDIATE"))
    except sqlite3.Error as error:
        raise HistoryError(f"cannot write to history {waiter.shown}: {reason(error)}") from None


def _busy(error: sqlite3.Error) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == SQLITE_BUSY


def sqlite_reader(path: Path, wal: bool, waiter: Waiter) -> sa.Engine:
    """A reader that writes nothing: no journal switch, no migration, `query_only`, deferred (read) transactions.

    Read-only (`mode=ro`) for a rollback-journal file (its readers make no file) and when SQLite's -wal is there
    already (a writer at work, or one that died: a read-only connection never checkpoints it into the file).
    Otherwise, where this process may write, read-write: the -wal and -shm every WAL reader needs are then tidied
    away when it closes, as a writer's are, and with no -wal there was nothing to checkpoint. Where it may not, a WAL
    file with no -wal beside it holds every committed transaction in itself: read as immutable, nothing (not even
    -shm) is made beside it."""
    if not wal or sibling(path, "-wal").exists():
        query = "mode=ro"
    elif writable(path) and writable(path.parent):
        query = "mode=rw"
    else:
        query = "mode=ro&immutable=1"

    def connect() -> sqlite3.Connection:
        return connect_sqlite(sqlite_uri(path, query), waiter, uri=True, reading=True)

    engine = sa.create_engine(_url(path), creator=connect)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")  # a statement that would write fails instead

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.connection.dbapi_connection.execute("BEGIN")  # deferred: in WAL a reader never waits for a writer

    return engine


def _url(path: Path | None) -> URL:
    # The URL only chooses the dialect and the pool; `creator` makes every connection.
    return URL.create("sqlite+pysqlite", database=str(path) if path else None)


def server_engine(url: URL, shown: str, waiter: Waiter) -> sa.Engine:
    """PostgreSQL (or another server): a connect timeout, and every transaction's lock waits bounded by the timeout;
    a connection given `history_read_only` runs READ ONLY transactions."""
    options: dict[str, Any] = {}
    postgres = url.get_backend_name() == "postgresql"
    if postgres:  # a parameter the URL gives is the user's choice
        options["connect_args"] = postgres_connect_args(url.query)
    try:
        engine = sa.create_engine(url, **options)
    except (ArgumentError, ImportError, sa.exc.NoSuchModuleError) as error:
        raise HistoryError(f"history {shown}: no database driver for it ({error})") from None
    if postgres:

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            if connection.get_execution_options().get("history_read_only", False):
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")  # first statement of the transaction
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {max(waiter.milliseconds, 1)}")  # 0 would be no limit

    return engine

