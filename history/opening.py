"""Opening a history: recognised by reading only, then (for a writer) proven writable, and created or upgraded
under the write lock. A reader is handed an engine that cannot write; nothing of this writes to what is refused.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from . import migrate, recognise, schema
from .engine import (
    LOCK_NOT_AVAILABLE,
    Waiter,
    database_url,
    server_engine,
    sibling,
    sqlite_path,
    sqlite_reader,
    sqlite_writer,
    writable,
)
from .errors import HistoryError

CREATION_LOCK = 0x7472_6961_6E67_6C65  # "triangle": the PostgreSQL advisory lock that serialises creating and upgrading


def open_engine(text: str, shown: str, waiter: Waiter, *, write: bool) -> sa.Engine:
    url = database_url(text)
    if url.get_backend_name() == "sqlite":
        return _sqlite(sqlite_path(url, shown, reading=not write), shown, waiter, write)
    return _server(server_engine(url, shown, waiter), shown, waiter, write)


def sqlite_file_to_make(text: str, shown: str) -> Path | None:
    """The SQLite file a history URL names when it is not there yet (None: a server, memory, or a file that is),
    once it is known it could be made (its folder is there and writable): a run then makes it only to record, so a
    run that fails leaves no empty history behind."""
    url = database_url(text)
    if url.get_backend_name() != "sqlite":
        return None
    path = sqlite_path(url, shown)
    if path is None or path.exists() or path.is_symlink():
        return None
    _require_writable(path, shown)
    return path


def _sqlite(path: Path | None, shown: str, waiter: Waiter, write: bool) -> sa.Engine:
    found = recognise.sqlite_file(path, waiter) if path else recognise.Found("absent")
    recognise.refuse(found, shown, reading=not write)
    if not write:
        assert path is not None  # an in-memory database is always new, which a reader refuses
        return sqlite_reader(path, found.wal, waiter)
    if path is not None:
        _require_writable(path, shown)
    engine = sqlite_writer(path, waiter)  # only now may WAL be set: the file is new or ours
    try:
        _prepare(engine, shown, found, waiter)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _require_writable(path: Path, shown: str) -> None:
    """Refused before SQLite opens it: SQLite would open a file it cannot write read-only, make -wal and -shm beside
    it, fail at the first write, and leave them behind."""
    folder = path.parent
    if not writable(folder):
        raise HistoryError(f"history {shown} cannot be written: its folder {folder} is read-only to this run, and SQLite "
                           "writes its journal there")  # fmt: skip
    for file in (path, sibling(path, "-wal"), sibling(path, "-shm")):
        if file.exists() and not writable(file):
            raise HistoryError(f"history {shown} cannot be written: {file} is read-only to this run")


def _server(engine: sa.Engine, shown: str, waiter: Waiter, write: bool) -> sa.Engine:
    try:
        with engine.connect() as connection:
            connection.execution_options(history_read_only=True)
            with connection.begin():
                found = recognise.database(connection)
        recognise.refuse(found, shown, reading=not write)
        if write:
            _prepare(engine, shown, found, waiter)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _prepare(engine: sa.Engine, shown: str, found: recognise.Found, waiter: Waiter) -> None:
    """Create or upgrade the history in one transaction under the write lock, looking again there (another run may
    have created or upgraded it meanwhile); else prove that a run can be recorded in it, and change nothing."""
    _, heads = migrate.known_revisions()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        transaction = connection.begin()  # SQLite: BEGIN IMMEDIATE, the write lock (waiting for it as engine.py says)
        try:
            changing = found.new or set(found.stamp) != set(heads)
            if changing and engine.dialect.name == "postgresql":
                _creation_lock(connection, waiter)
            if changing:
                found = recognise.database(connection)
                recognise.refuse(found, shown, reading=False)
                changing = set(found.stamp) != set(heads)
            if changing:
                migrate.upgrade(connection)
                transaction.commit()
                return
            if sqlite:
                # A write that changes nothing, rolled back: SQLite refuses it if the file is open read-only.
                stamp = sa.table(migrate.VERSION_TABLE, sa.column("version_num"))
                connection.execute(stamp.update().values(version_num=stamp.c.version_num))
            elif engine.dialect.name == "postgresql":
                _server_writable(connection, shown)
        finally:
            if transaction.is_active:
                transaction.rollback()


def _creation_lock(connection: sa.Connection, waiter: Waiter) -> None:
    """One process at a time creates or upgrades a PostgreSQL history: the others wait (saying so), then find it made.
    Held to the end of the transaction; bounded by the transaction's lock_timeout."""
    if connection.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": CREATION_LOCK}).scalar():
        return
    if not waiter.milliseconds:
        raise waiter.locked(0.0)  # told not to wait
    waiter.waiting()
    started = time.monotonic()
    try:
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CREATION_LOCK})
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise waiter.locked(time.monotonic() - started) from None
        raise


def _server_writable(connection: sa.Connection, shown: str) -> None:
    """A standby, a read-only role or a role without INSERT on the tables is refused now, not after the checking."""
    if connection.execute(sa.text("SELECT current_setting('transaction_read_only')")).scalar() == "on":
        raise HistoryError(f"history {shown} cannot be written: the server or role is read-only")
    tables = [schema.runs.name, *(table.name for table in schema.CHILDREN)]
    query = sa.text("SELECT t FROM unnest(CAST(:tables AS text[])) AS t WHERE NOT has_table_privilege(t, 'INSERT')")
    denied = list(connection.execute(query, {"tables": tables}).scalars())
    if denied:
        raise HistoryError(f"history {shown} cannot be written: no permission to insert into {', '.join(denied)}")
