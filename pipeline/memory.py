"""The run history, seen from the spine: opened before any work (a history that cannot be opened stops the run
before an output is written), recorded after the outputs are complete, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from ..model.release import Release
from ..model.revisions import Revisions


@contextmanager
def history_at(url: str | None) -> Iterator[object | None]:
    """The opened history (None when no `--history`); closed afterwards whatever happens."""
    if not url:
        yield None
        return
    from ..history import open_history

    history = open_history(url)
    try:
        yield history
    finally:
        history.close()


def remember(history: object | None, release: Release, started: dt.datetime, label: str | None) -> int | None:
    if history is None:
        return None
    return history.record(release, started, dt.datetime.now(dt.UTC), label=label)  # type: ignore[attr-defined]


def remember_revisions(history: object | None, revisions: Revisions, started: dt.datetime, label: str | None) -> int | None:
    if history is None:
        return None
    return history.record_revisions(revisions, started, dt.datetime.now(dt.UTC), label=label)  # type: ignore[attr-defined]
