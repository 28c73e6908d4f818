"""An engine straight on a history database, for tests that make, damage or inspect one directly.

Not the product's way in: store.open_history recognises a file before anything is written to it, and refuses what is
not a history. This one does not recognise anything, and switches any SQLite file it opens to WAL.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from triangulate.history.engine import Waiter, database_url, lock_timeout, server_engine, sqlite_path, sqlite_writer
from triangulate.history.errors import safe_url


def create_engine(text: str) -> sa.Engine:
    """A writer's engine on the history at `text` (a URL or a SQLite path), with the run's timeout."""
    shown = safe_url(text)
    url = database_url(text)
    waiter = Waiter(shown, lock_timeout())
    if url.get_backend_name() != "sqlite":
        return server_engine(url, shown, waiter)
    return sqlite_writer(sqlite_path(url, shown), waiter)


@contextmanager
def sqlite_lock_held(path: Path, statements: str) -> Iterator[None]:
    """Another process holding a lock on the SQLite file at `path` (`statements`, e.g. BEGIN EXCLUSIVE) until the
    block ends."""
    holder = subprocess.Popen([sys.executable, "-c", "import sqlite3, sys\n"
                               "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                               "for statement in sys.argv[2].split(';'): db.execute(statement)\n"
                               "print('held', flush=True); sys.stdin.read()", str(path), statements],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.communicate("", timeout=30)
