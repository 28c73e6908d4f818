"""The run history, seen from the spine: opened before any work (a history that cannot be opened stops the run
before an output is written), recorded after the outputs are complete, in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..model.release import Release
from ..model.revisions import Revisions
from ..reports.disclosure import Disclosure, disclose
from .outputs import Written, write_outputs


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


def diff_and_write(url: str, from_ref: str | None, to_ref: str | None, tolerance: float,
                   targets: Mapping[str, Path | None]) -> dict[str, Any]:  # fmt: skip
    """`history diff`: what changed between two runs, written as JSON, HTML and Markdown as asked."""
    from ..reports.history import render_diff_html, render_diff_json, render_diff_markdown
    from .atomic import write_all_atomic
    from .outputs import validate_targets

    validate_targets(targets)
    with history_at(url) as store:
        diff = store.diff(from_ref, to_ref, revision_tolerance=tolerance)  # type: ignore[union-attr]
    renderers = {"json": render_diff_json, "html": render_diff_html, "summary_md": render_diff_markdown}
    write_all_atomic({Path(path): renderers[key](diff) for key, path in targets.items() if path is not None})
    return diff


def write_and_remember(history: object | None, release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure,
                       started: dt.datetime, label: str | None) -> Written:  # fmt: skip
    """Write every output and, with a history, record the run in a transaction that commits once they are written;
    the report then says what changed since the last release."""
    shown = disclose(release, disclosure)
    if history is None:
        return write_outputs(shown, targets, disclosure, disclosed=True)
    with history.recording(shown, started, dt.datetime.now(dt.UTC), label=label) as since:  # type: ignore[attr-defined]
        return write_outputs(replace(shown, since=since), targets, disclosure, disclosed=True)
