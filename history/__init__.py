"""The run history (issue 14): every run recorded in a SQLite or PostgreSQL database, listed and diffed.

Nothing else in the project imports this package; the CLI wires it in.
"""

from __future__ import annotations

from .errors import HistoryError
from .opening import sqlite_file_to_make
from .store import History, RunSummary, open_history

__all__ = ["History", "HistoryError", "RunSummary", "open_history", "sqlite_file_to_make"]
