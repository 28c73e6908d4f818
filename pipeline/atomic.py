"""Outputs are written whole or not at all, no temporary file outlives the run, and nothing on the host is replaced.

Where each output goes (a regular file written atomically, or a device, FIFO or standard output written in place)
is decided by `streams.where`.

**Atomic files.** Each regular output is written to an unnamed file in its target's folder (O_TMPFILE, mode
0o600), flushed and fsync'ed; only when every one is written, and every stream output too, is the set placed:
each new file is given a temporary name (`.{target}.triangulate-{16 hex}.part`, linkat through /proc/self/fd)
and swapped with its target in one step (renameat2 RENAME_EXCHANGE), so the temporary name then holds what the
target held: its backup. Where a file system cannot swap, the previous output is renamed aside and the new one
renamed in. Until the set is placed there is no name a kill -9 could orphan: the kernel frees an unnamed file
with its last descriptor. Where a file system has no O_TMPFILE, the temporary file is named from the start.

**All or nothing.** A placed set (`Placed`) keeps the backups (and the stale outputs of an earlier run, moved
aside) until it is settled: a swap refused half-way (another user's file in a sticky folder, a full disk) puts
every earlier output back, and so does `Placed.restore` afterwards, which the run calls when its history could
not commit the run (pipeline/memory.py). A backup that cannot be put back is kept and named, never deleted. So
exit 2 leaves the earlier set, whole. Outputs written in place (a FIFO, standard output) cannot be taken back.

The temporary files and backups can hold special category data, so:

* a name is recorded before it exists (created O_EXCL, or linked), and every recorded name is removed in a
  `finally` unless it was renamed;
* SIGINT, SIGTERM and SIGHUP are taken over while the set is written (`lifecycle.DeferredSignals`): the handler
  only notes the signal and the writer raises it (`errors.Stopped`) at its next step, so a signal can never land
  half-way through creating a file or through the clean-up itself, and the renames always run to the end (the set
  is never half old, half new). A stream that waits (a FIFO with no reader yet, a full pipe) checks for one often;
* SIGKILL cannot be caught, so each run first removes the named temporary files and backups an earlier, killed
  run left beside the targets it is about to write. Only names of exactly this writer's pattern for those
  targets are touched, and a file is removed only if no live writer holds its lock (each writer holds an flock
  on its temporary files and backups until they are renamed or removed), so a run writing into the same folder
  at the same time keeps its files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import stat
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SystemFault, encode_text, text_errors
from ..lifecycle import DeferredSignals
from .streams import Stream, where, write_stream
from .swap import TEMPORARY_MARK, Staged, lock_previous, move_aside, swap_in, temporary_name

_NO_TMPFILE = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)  # the file system cannot make an unnamed file

__all__ = ["Placed", "Stream", "place_all_atomic", "where", "write_all_atomic"]


def _temporary_pattern(target_names: set[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in sorted(target_names))
    return re.compile(rf"\.(?:{names})\.{TEMPORARY_MARK}-[0-9a-f]{{16}}\.part")


def _remove_left_behind(folder: Path, pattern: re.Pattern[str]) -> None:
    """Delete this writer's temporary files for these targets that no live run holds (left by a kill -9).

    Anything in doubt is left alone: a file that cannot be opened or locked, or is not a plain file.
    """
    try:
        names = [name for name in os.listdir(folder) if pattern.fullmatch(name)]
    except OSError:
        return
    for name in names:
        path = folder / name
        try:
            handle = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:  # gone already, not ours to open, or a symbolic link (never one we made)
            continue
        try:
            found = os.fstat(handle)
            if not stat.S_ISREG(found.st_mode):
                continue
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a live run is writing it
            if os.stat(path, follow_symlinks=False).st_ino == found.st_ino:
                path.unlink()
        except OSError:
            continue
        finally:
            os.close(handle)


def _unnamed(folder: Path) -> int | None:
    """An unnamed file in `folder` (O_TMPFILE, 0o600), locked; None where the file system cannot make one."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):  # linked later through /proc/self/fd
        return None
    try:
        handle = os.open(folder, flag | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError as error:
        if error.errno in _NO_TMPFILE:
            return None
        raise
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # held once it is linked, so another run's clean-up leaves it
    except BaseException:
        os.close(handle)
        raise
    return handle


def _stage(target: Path, staged: list[Staged]) -> int:
    """A new file for `target`, recorded in `staged`: unnamed where the file system allows, else named and
    recorded before it exists (created 0o600, never an existing file) and locked. Returns its descriptor,
    which stays open, and locked, until the rename."""
    handle = _unnamed(target.parent)
    if handle is not None:
        staged.append(Staged(target, handle, None))
        return handle
    while True:
        temporary = target.with_name(temporary_name(target.name))
        staged.append(Staged(target, -1, temporary))  # recorded before it exists: the caller's finally removes it
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            staged.pop()  # someone else's file: never ours to remove
            raise
        staged[-1].handle = handle
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if os.stat(temporary, follow_symlinks=False).st_ino == os.fstat(handle).st_ino:
                return handle
        except FileNotFoundError:
            pass
        # Another run's clean-up took the file between its creation and its lock: make another.
        staged.pop()
        os.close(handle)


def _write_through(handle: int, content: str | bytes) -> None:
    """Text as UTF-8 (a name the locale could not decode as TEXT_ERRORS says), bytes (a Parquet file) as they are."""
    with open(handle, "wb" if isinstance(content, bytes) else "w", closefd=False,
              **({} if isinstance(content, bytes) else {"encoding": "utf-8", "errors": text_errors(), "newline": ""})) as stream:  # fmt: skip
        stream.write(content)
        stream.flush()
        os.fsync(handle)


def _fsync_folder(folder: Path) -> None:
    """Make the renames durable; best effort (not every file system lets a folder be opened or synced)."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)


@dataclass
class Placed:
    """A set of outputs in place, with what each replaced (and each stale output of an earlier run) kept under a
    backup name until `settle` removes them, or `restore` puts them back. Exactly one of the two is called: by
    `write_all_atomic` at once, or once the run's history has committed the run, or failed to (pipeline/memory.py)."""

    paths: list[Path]
    items: list[Staged] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def settle(self) -> None:
        """Keep the new set: remove the backups (the previous outputs, the stale ones)."""
        with DeferredSignals():
            self._forget_backups()

    def restore(self) -> None:
        """Put back every previous output (and remove each new output that had none). One that cannot go back is
        kept under its backup name, and said (exit 2): a previous output is never deleted."""
        with DeferredSignals():
            self._put_back()

    def _put_back(self) -> None:
        kept: list[str] = []
        for item in reversed(self.items):
            if not item.replaced:
                continue
            try:
                if item.backup is not None:
                    os.replace(item.backup, item.target)
                    item.backup = None
                elif not item.stale:
                    item.target.unlink(missing_ok=True)
                item.replaced = False
            except OSError as error:
                item.kept = True
                kept.append(f"{item.target} is kept as {item.backup} ({error.strerror or error})")
        self._forget_backups()
        if kept:
            raise SystemFault("could not put back the previous outputs: " + "; ".join(kept))

    def _forget_backups(self) -> None:
        for item in self.items:
            if item.backup is not None and not item.kept:
                with contextlib.suppress(OSError):  # we could rename it here: we may remove it
                    item.backup.unlink(missing_ok=True)
                item.backup = None
            if item.backup_handle is not None:
                with contextlib.suppress(OSError):
                    os.close(item.backup_handle)
                item.backup_handle = None
        for folder in self.folders:
            _fsync_folder(folder)


def write_all_atomic(
    files: dict[Path, str | bytes], remove: list[Path] | None = None, *, named: Collection[Path] | None = None
) -> list[Path]:
    """Every regular file to an unnamed file beside its target first, every stream output in place, and only
    then is each file named and put into place, and only then are `remove` (stale outputs of an earlier run)
    deleted. `named`: the paths the user named (see `streams.where`); None: every path in `files`.

    A failure, Ctrl-C, SIGTERM or SIGHUP while writing leaves every previous output as it was and no temporary
    file; one during the renames waits for them to finish. An output written to standard output takes it: what
    the run prints afterwards goes to standard error (`--json - | jq` gets the JSON alone).
    """
    with DeferredSignals() as signals:  # a signal during the renames is raised once the new set is whole
        placed = _place(files, remove, named, signals)
        placed._forget_backups()
    return placed.paths


def place_all_atomic(
    files: dict[Path, str | bytes], remove: list[Path] | None = None, *, named: Collection[Path] | None = None
) -> Placed:
    """As `write_all_atomic`, but what the set replaces is kept: the caller then settles the set, or restores it.
    A signal that came during the renames puts the previous set back (the run it belongs to is not recorded)."""
    placed: Placed | None = None
    try:
        with DeferredSignals() as signals:
            placed = _place(files, remove, named, signals)
    except BaseException:
        if placed is not None:
            placed.restore()
        raise
    return placed


def _place(files: dict[Path, str | bytes], remove: list[Path] | None, named: Collection[Path] | None,
           signals: DeferredSignals) -> Placed:  # fmt: skip
    chosen = {Path(path) for path in (files if named is None else named)}
    plans = [(Path(path), where(Path(path), named=Path(path) in chosen), text) for path, text in files.items()]
    targets = [(place, text) for _, place, text in plans if isinstance(place, Path)]
    streams = [(place, text) for _, place, text in plans if isinstance(place, Stream)]
    stale = [Path(path) for path in remove or ()]
    placed = Placed([path for path, _, _ in plans])
    folders: dict[Path, set[str]] = {}
    for path in [target for target, _ in targets] + stale:
        folders.setdefault(path.parent, set()).add(path.name)
    placed.folders = list(folders)

    staged = placed.items  # recorded before each temporary name exists
    held: list[int] = []  # folders, open through the renames
    try:
        for folder, names in folders.items():
            with _naming(folder):
                folder.mkdir(parents=True, exist_ok=True)
            _remove_left_behind(folder, _temporary_pattern(names))
        for target, text in targets:
            signals.check()
            with _naming(target):
                _write_through(_stage(target, staged), text)
        for stream, text in streams:
            write_stream(stream, text if isinstance(text, bytes) else encode_text(text), signals)
        signals.check()
        # From here a signal waits: the set is never half old and half new. Each output is swapped in with what it
        # replaces kept, and each stale output moved aside, so a set that cannot be placed whole is put back.
        for folder in folders:
            with _naming(folder):
                held.append(os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
        folder_of = dict(zip(folders, held, strict=True))
        for item in staged:
            with _naming(item.target):
                swap_in(item, folder_of[item.target.parent])
        for path in stale:
            item = Staged(path, -1, None, stale=True)
            staged.append(item)
            with _naming(path):
                lock_previous(item)
                move_aside(item, folder_of[path.parent])
            item.replaced = item.backup is not None
        for folder in folders:
            _fsync_folder(folder)
    except BaseException:
        placed._put_back()  # signals are deferred already
        raise
    finally:
        for handle in [item.handle for item in staged if item.handle >= 0] + held:
            with contextlib.suppress(OSError):
                os.close(handle)
        for item in staged:
            if item.temporary is not None:
                with contextlib.suppress(OSError):  # one that cannot go must not keep the others
                    item.temporary.unlink(missing_ok=True)
    if any(stream.fd == 1 for stream, _ in streams):
        sys.stdout = sys.stderr
    return placed


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """One step of writing `path`: an operating system's refusal is one line naming it (exit 2)."""
    try:
        yield
    except OSError as error:
        raise SystemFault.of(error, path) from None
