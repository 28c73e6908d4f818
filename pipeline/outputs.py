"""Render every output first, then write them all as a set: nothing half-written, nothing undisclosed.

The paths the user named follow the output rules of `streams.where` (a device, a FIFO or `-` written in place, a
symbolic link's target written); a path the tool chose itself (an output's default name in `--out`, marked with
`chosen_by_tool`, and every side file of the HTML report) is never followed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PosixPath
from typing import NamedTuple

from ..errors import UsageError
from ..model.release import Release
from ..reports.disclosure import Disclosure, disclose
from ..reports.formats import OUTPUT_FORMATS
from ..reports.suppression import for_release
from .atomic import Placed, place_all_atomic, write_all_atomic
from .streams import Stream, where

DISCARD = Path("/dev/null")


class ToolChosenPath(PosixPath):
    """An output's path the tool chose itself (its default name in `--out`): written like a side file."""

    __slots__ = ()


class Written(NamedTuple):
    release: Release  # as disclosed: what the console prints from
    paths: list[Path]
    disclosure: Disclosure  # with the figures --publish withholds decided: the console prints with it


def chosen_by_tool(targets: Mapping[str, Path | None], given: Mapping[str, Path | None]) -> dict[str, Path | None]:
    """`targets` with every path the user did not give (`given`) marked as chosen by the tool."""
    return {key: path if path is None or given.get(key) is not None else ToolChosenPath(path) for key, path in targets.items()}


def _is_named(path: Path) -> bool:
    return not isinstance(path, ToolChosenPath)


def _is_stream(path: Path) -> bool:
    return _is_named(path) and isinstance(where(Path(path)), Stream)


def write_outputs(
    release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure, *, disclosed: bool = False
) -> Written:
    """Disclose the release (unless `disclosed`: it already is), decide once which figures --publish withholds,
    render every output with that one disclosure, and write the set; the console is printed from what it returns.
    An HTML report written in place (a device, a FIFO, standard output) is the page alone, without side files."""
    written, (files, stale, named) = _prepared(release, targets, disclosure, disclosed)
    write_all_atomic(files, stale, named=named)
    return written


def place_outputs(
    release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure, *, disclosed: bool = False
) -> tuple[Written, Placed]:
    """As `write_outputs`, with the set placed but the previous outputs kept: the caller settles or restores it."""
    written, (files, stale, named) = _prepared(release, targets, disclosure, disclosed)
    return written, place_all_atomic(files, stale, named=named)


def _prepared(
    release: Release, targets: Mapping[str, Path | None], disclosure: Disclosure, disclosed: bool
) -> tuple[Written, tuple[dict[Path, str], list[Path], list[Path]]]:
    shown = release if disclosed else disclose(release, disclosure)
    disclosure = for_release(disclosure, shown)
    files, stale, named = _rendered(shown, targets, disclosure)
    return Written(shown, list(files), disclosure), (files, stale, named)


def _rendered(
    shown: Release, targets: Mapping[str, Path | None], disclosure: Disclosure
) -> tuple[dict[Path, str], list[Path], list[Path]]:
    """Every output rendered: (each file's text, the stale files of an earlier run to remove, the paths the user named)."""
    files: dict[Path, str] = {}
    keys: dict[Path, Path] = {}  # each file to be written, and where it really writes
    stale: list[Path] = []
    named: list[Path] = []
    for key, path in targets.items():
        if path is None:
            continue
        rendered = OUTPUT_FORMATS[key].render(shown, disclosure, Path(path))
        own = rendered.files
        if _is_stream(path):
            own = {Path(path): rendered.files[Path(path)]}
        for file in own:  # a measure's table is named only now, after the run: nothing is written yet
            key_of = output_key(file, followed=file == Path(path) and _is_named(path))
            clash = next((other for other, at in keys.items() if at == key_of and key_of != DISCARD), None)
            keys[file] = key_of
            if clash is not None:
                raise UsageError(f"{OUTPUT_FORMATS[key].flag} {path} would write {file}, which another output also writes")
        files |= own
        stale += rendered.stale if own is rendered.files else []
        if _is_named(path):
            named.append(Path(path))
    return files, stale, named


def output_key(path: Path, *, followed: bool) -> Path:
    """Where an output really writes: a path the user named, followed through its links; a name the tool chose
    (never followed: a link planted there is replaced), its folder resolved and the name itself."""
    return path.resolve() if followed else path.parent.resolve() / path.name


def validate_targets(targets: Mapping[str, Path | None]) -> None:
    """Before any work: every output path can be written, none is a folder, a block device or a socket, and no two
    outputs share a path."""
    from ..reports.html import SIDE_FILES, side_file_name

    claimed: dict[Path, str] = {}
    for key, path in targets.items():
        if path is None:
            continue
        flag = OUTPUT_FORMATS[key].flag
        place = checked_place(Path(path), flag, named=_is_named(path))
        # A path the user named is followed to where it leads; a name the tool chose (a side file, a default name in
        # --out) is never followed, so a link planted there neither stops the run nor counts as another output.
        paths = [(Path(path), _is_named(path))]
        if key == "html" and not isinstance(place, Stream):
            paths += [(Path(path).with_name(side_file_name(Path(path), side)), False) for side in SIDE_FILES]
        for candidate, followed in paths:
            resolved = output_key(candidate, followed=followed)
            if resolved == DISCARD:
                continue  # any number of outputs may be thrown away
            if resolved in claimed:
                raise UsageError(f"{flag} {path} and {claimed[resolved]} would write the same file {candidate}")
            claimed[resolved] = f"{flag} {path}"


def checked_place(path: Path, flag: str, *, named: bool = True) -> Path | Stream:
    """Where one output goes (pipeline/streams.py `where`), refused before any work: a folder, a block device or a
    socket, a folder it cannot write in, a read-only file."""
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file name")
    try:
        place = where(path, named=named)
    except UsageError as error:
        raise UsageError(f"{flag} {path}: {error.message}") from None
    if not isinstance(place, Stream):
        _writable(place, flag)
    return place


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
