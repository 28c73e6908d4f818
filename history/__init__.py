"""The run history (issue 14): every run recorded in a SQLite or PostgreSQL database, listed and diffed.

Nothing else in the project imports this package; the CLI wires it in.
"""

from __future__ import annotations

from .errors import HistoryError
from .for_run import HistoryToMake, open_for_run
from .store import History, RunSummary, open_history

__all__ = ["History", "HistoryError", "HistoryToMake", "RunSummary", "open_for_run", "open_history"]
