"""A history URL becomes an engine: SQLite set up for several writers, PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .errors import HistoryError, safe_url

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another process's transaction on the same SQLite file
CONNECT_TIMEOUT_S = 15


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


def create_engine(text: str, *, create: bool = True) -> sa.Engine:
    """`create=False` for a command that only reads: a SQLite file that is not there is refused, never made."""
    url = database_url(text)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, text, create)
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        return sa.create_engine(url, **options)
    except (ArgumentError, ImportError, sa.exc.NoSuchModuleError) as error:
        raise HistoryError(f"history {safe_url(text)}: no database driver for it ({error})") from None


def _sqlite_engine(url: URL, text: str, create: bool) -> sa.Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        if not create and not Path(database).expanduser().is_file():
            # SQLite makes the file on connecting: a reader must not leave an empty history behind.
            raise HistoryError(f"no history at {safe_url(text)}")
        folder = Path(database).parent
        if not folder.is_dir():
            raise HistoryError(f"history {safe_url(text)}: folder {folder} does not exist")
    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions are switched off so that `begin` below decides how one starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer, nor it them
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # A writer takes the write lock when it begins, so it waits (busy timeout) instead of failing
        # with SQLITE_BUSY halfway through, which a deferred transaction that reads first would.
        read_only = connection.get_execution_options().get("history_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
