"""The run history, seen from the spine: opened before any work (a history that cannot be opened stops the run
before an output is written; a new SQLite one is checked then and made when the run records), and recorded with the outputs as one unit: the run is inserted in a transaction,
the outputs are placed with the previous set kept, then the transaction commits. A commit that fails (a full disk,
a server gone) puts the previous outputs back, so exit 2 leaves no new output; a commit that succeeds settles
the new set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ..domain.identity import keyer
from ..lifecycle import signals_held
from ..model.memory import Memory, person_record_ids, with_people
from ..model.release import Release
from ..model.revisions import Revisions
from ..reports.disclosure import Disclosure, disclose
from .atomic import Placed
from .outputs import Written, place_outputs, write_outputs

T = TypeVar("T")


@contextmanager
def history_at(url: str | None) -> Iterator[object | None]:
    """The history the run records in (None when no `--history`), opened before any work, or a new SQLite one
    checked now and made when the run records (history/for_run.py); closed afterwards whatever happens."""
    if not url:
        yield None
        return
    from ..history import open_for_run

    history = open_for_run(url)
    try:
        yield history
    finally:
        history.close()


def write_and_remember_revisions(history: object | None, revisions: Revisions, files: Mapping[Path, str],
                                 started: dt.datetime, label: str | None) -> None:  # fmt: skip
    """`triangulate revisions`: its outputs and its record in the history, as one unit (as a release's)."""
    from .atomic import place_all_atomic, write_all_atomic

    if history is None:
        write_all_atomic(dict(files))
        return
    recording = history.recording_revisions(revisions, started, dt.datetime.now(dt.UTC), label=label)  # type: ignore[attr-defined]
    _as_one_unit(recording, lambda _: (None, place_all_atomic(dict(files))))


def _as_one_unit(recording: AbstractContextManager[Any], place: Callable[[Any], tuple[T, Placed]]) -> T:
    """Place the outputs inside the history's transaction, then commit it; the previous outputs come back if the
    commit (or anything before it) fails, and are let go only once it has succeeded. From the placing's end to the
    settling (or restoring) signals are held, so the history and the outputs never disagree: a signal then is
    acted on once both are done."""
    with ExitStack() as holding:
        placed: Placed | None = None
        try:
            with recording as inside:
                result, placed = place(inside)
                holding.enter_context(signals_held())  # the commit, then settle or restore, in one piece
        except BaseException:
            if placed is not None:
                placed.restore()
            raise
        placed.settle()
    return result


def read_memory(history: object | None, label: str, command: str) -> Memory:
    """What the run needs of the past, read (typed) before it reconciles; nothing without a history."""
    if history is None:
        return Memory()
    return history.memory(label, command)  # type: ignore[attr-defined,no-any-return]


def write_and_remember(history: object | None, release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure,
                       started: dt.datetime, label: str | None, *, memory: Memory | None = None) -> Written:  # fmt: skip
    """Write every output and, with a history, record the run in a transaction that commits once they are placed
    (and puts the previous outputs back if it cannot). With `memory`, the outputs say what changed since the last
    release, through the same disclosure as every other figure and id.

    With a history, every failing record gets its person key first (with the history's secret), so the history
    remembers people, never record ids as this run's options disclose them."""
    if history is None:
        return write_outputs(disclose(release, disclosure), targets, disclosure, disclosed=True)
    release = with_people(release, keyer(history.secret))  # type: ignore[attr-defined]
    recording = history.recording(release, started, dt.datetime.now(dt.UTC), label=label)  # type: ignore[attr-defined]

    def place(remembered: Any) -> tuple[Written, Placed]:
        changed = memory.since(remembered, person_record_ids(release)) if memory is not None else None
        return place_outputs(disclose(replace(release, since=changed), disclosure), targets, disclosure, disclosed=True)

    return _as_one_unit(recording, place)
