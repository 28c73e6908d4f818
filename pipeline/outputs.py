"""Render every output first, then write them all as a set: nothing half-written, nothing undisclosed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from ..errors import UsageError
from ..model.release import Release
from ..reports.disclosure import Disclosure, disclose
from ..reports.formats import OUTPUT_FORMATS
from ..reports.suppression import for_release
from .atomic import write_all_atomic


class Written(NamedTuple):
    release: Release  # as disclosed: what the console prints from
    paths: list[Path]
    disclosure: Disclosure  # with the figures --publish withholds decided: the console prints with it


def write_outputs(
    release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure, *, disclosed: bool = False
) -> Written:
    """Disclose the release (unless `disclosed`: it already is), decide once which figures --publish withholds,
    render every output with that one disclosure, and write the set; the console is printed from what it returns."""
    shown = release if disclosed else disclose(release, disclosure)
    disclosure = for_release(disclosure, shown)
    files: dict[Path, str] = {}
    stale: list[Path] = []
    for key, path in targets.items():
        if path is None:
            continue
        rendered = OUTPUT_FORMATS[key].render(shown, disclosure, Path(path))
        for file in rendered.files:  # a measure's table is named only now, after the run: nothing is written yet
            clash = next((other for other in files if other.resolve() == file.resolve()), None)
            if clash is not None:
                raise UsageError(f"{OUTPUT_FORMATS[key].flag} {path} would write {file}, which another output also writes")
        files |= rendered.files
        stale += rendered.stale
    return Written(shown, write_all_atomic(files, stale), disclosure)


def validate_targets(targets: Mapping[str, Path | None]) -> None:
    """Before any work: every output path can be written, none is a folder, and no two outputs share a path."""
    from ..reports.html import SIDE_FILES, side_file_name

    claimed: dict[Path, str] = {}
    for key, path in targets.items():
        if path is None:
            continue
        flag = OUTPUT_FORMATS[key].flag
        paths = [Path(path)]
        if key == "html":
            paths += [Path(path).with_name(side_file_name(Path(path), side)) for side in SIDE_FILES]
        for candidate in paths:
            resolved = candidate.resolve()
            if resolved in claimed:
                raise UsageError(f"{flag} {path} and {claimed[resolved]} would write the same file {candidate}")
            claimed[resolved] = f"{flag} {path}"
        _writable(Path(path), flag)


def _writable(path: Path, flag: str) -> None:
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file name")
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: cannot write in {folder}")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path}: the file cannot be written")
