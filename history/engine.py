"""A history URL becomes an engine: a SQLite writer, a SQLite reader that writes nothing, or a server (PostgreSQL
through psycopg 3). Every wait for a lock is bounded by one timeout, and said once on stderr."""

from __future__ import annotations

import math
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .errors import HistoryError, reason, safe_url

TIMEOUT_VARIABLE = "TRIANGULATE_HISTORY_TIMEOUT"
DEFAULT_TIMEOUT_S = 30.0  # how long a run waits for another run's transaction on the same history
MAX_TIMEOUT_S = 86_400.0  # SQLite and PostgreSQL take milliseconds as a 32-bit integer: a day is well inside
CONNECT_TIMEOUT_S = 10  # per address the server's name resolves to (psycopg's rule); libpq's minimum is 2
WAITING = "triangulate: waiting for the history, locked by another run…"
SQLITE_BUSY = 5
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires


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
        self._said = False

    def waiting(self) -> None:
        if not self._said:  # once per run, however many times it waits
            print(WAITING, file=sys.stderr, flush=True)
            self._said = True

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
                            f"({CONNECT_TIMEOUT_S} s unless the URL sets connect_timeout)")  # fmt: skip
    return HistoryError(f"cannot {doing} history {shown}: {reason(error)}")


def database_url(text: str) -> URL:
    """A SQLAlchemy URL; a bare path means a SQLite file there, and plain `postgresql://` means psycopg 3."""
    if "://" not in text:
        return URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().absolute()))
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as error:
        raise HistoryError(f"history {safe_url(text)} is not a database URL ({error})") from None
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


def sqlite_writer(path: Path | None, waiter: Waiter) -> sa.Engine:
    """A writer on a file already recognised as a history (or new): WAL, foreign keys, BEGIN IMMEDIATE."""

    def connect() -> sqlite3.Connection:
        # The driver's own implicit transactions are off so that `_begin` below decides how one starts.
        return sqlite3.connect(str(path) if path else ":memory:", isolation_level=None, check_same_thread=False,
                               timeout=waiter.timeout)  # fmt: skip

    options: dict[str, Any] = {} if path else {"poolclass": sa.pool.StaticPool}
    engine = sa.create_engine(_url(path), creator=connect, **options)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {waiter.milliseconds}")
        dbapi_connection.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer, nor it for them
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        if connection.get_execution_options().get("history_read_only", False):
            dbapi_connection.execute("BEGIN")
            return
        begin_immediate(dbapi_connection, waiter)

    return engine


def begin_immediate(dbapi_connection: Any, waiter: Waiter) -> None:
    """Take the write lock when the transaction begins: first without waiting, then (saying so) for the timeout,
    so a writer never fails halfway through with SQLITE_BUSY, which a deferred transaction that reads first would."""
    full = f"PRAGMA busy_timeout = {waiter.milliseconds}"
    try:
        dbapi_connection.execute("PRAGMA busy_timeout = 0")
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
            if not waiter.milliseconds:
                raise waiter.locked(0.0) from None  # told not to wait
        waiter.waiting()
        dbapi_connection.execute(full)
        started = time.monotonic()
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise waiter.locked(time.monotonic() - started) from None
            raise
    except sqlite3.Error as error:
        raise HistoryError(f"cannot write to history {waiter.shown}: {reason(error)}") from None
    finally:
        try:
            dbapi_connection.execute(full)
        except sqlite3.Error:
            pass  # the connection is unusable anyway; the error above says why


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
        return sqlite3.connect(sqlite_uri(path, query), uri=True, isolation_level=None, check_same_thread=False,
                               timeout=waiter.timeout)  # fmt: skip

    engine = sa.create_engine(_url(path), creator=connect)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {waiter.milliseconds}")
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
    if postgres and "connect_timeout" not in url.query:  # one the URL gives is the user's choice
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
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


def create_engine(text: str, *, create: bool = True) -> sa.Engine:
    """An engine on a history with no recognising: for tests and tools that make or inspect one directly.
    Use store.open_history, which refuses what is not a history before anything is written to it."""
    shown = safe_url(text)
    url = database_url(text)
    waiter = Waiter(shown, lock_timeout())
    if url.get_backend_name() != "sqlite":
        return server_engine(url, shown, waiter)
    path = sqlite_path(url, shown)
    if not create and (path is None or not path.is_file()):
        raise HistoryError(f"no history at {shown}")
    return sqlite_writer(path, waiter)
