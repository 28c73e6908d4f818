"""Render every output first, then write them all as a set: nothing half-written, nothing undisclosed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..model.release import Release
from ..reports.disclosure import Disclosure, disclose
from ..reports.formats import OUTPUT_FORMATS
from .atomic import write_all_atomic


def write_outputs(
    release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure
) -> tuple[Release, list[Path]]:
    """Returns the release as disclosed (for the console) and the paths written."""
    shown = disclose(release, disclosure)
    files: dict[Path, str] = {}
    stale: list[Path] = []
    for key, path in targets.items():
        if path is None:
            continue
        rendered = OUTPUT_FORMATS[key].render(shown, disclosure, Path(path))
        files |= rendered.files
        stale += rendered.stale
    return shown, write_all_atomic(files, stale)
