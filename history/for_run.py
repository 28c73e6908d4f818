"""The history a run that records opens: an existing one (or a server's) opened before any work, as `open_history`
does; a SQLite file that is not there yet only checked (its folder is there and writable) and made when the run
records, so a run that fails before then leaves no empty history behind."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Any

from ..model.memory import Memory
from .errors import safe_url
from .opening import sqlite_file_to_make
from .store import History, open_history


def open_for_run(url: str) -> History | HistoryToMake:
    """The history a run at `url` records in; close() it afterwards."""
    if sqlite_file_to_make(url, safe_url(url)) is not None:
        return HistoryToMake(url)
    return open_history(url)


class HistoryToMake:
    """A new SQLite history, made on the run's first need to write: it holds no past, so the run's memory is empty
    (as a history made before the run would give), and its secret and its recording open it."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._opened: History | None = None

    def _history(self) -> History:
        if self._opened is None:
            self._opened = open_history(self._url)
        return self._opened

    def memory(self, label: str, command: str) -> Memory:
        return Memory() if self._opened is None else self._opened.memory(label, command)

    @property
    def secret(self) -> bytes:
        return self._history().secret

    def recording(self, *args: Any, **kwargs: Any) -> AbstractContextManager[Any]:
        return self._history().recording(*args, **kwargs)

    def recording_revisions(self, revisions: Any, started_at: dt.datetime, finished_at: dt.datetime, **kwargs: Any) -> AbstractContextManager[Any]:
        return self._history().recording_revisions(revisions, started_at, finished_at, **kwargs)

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()
