"""Outputs are written whole or not at all, no temporary file outlives the run, and nothing on the host is replaced.

Where each output goes (a regular file written atomically, or a device, FIFO or standard output written in place)
is decided by `streams.where`.

**Atomic files.** Each regular output is written to an unnamed file in its target's folder (O_TMPFILE, mode
0o600), flushed and fsync'ed; only when every one is written, and every stream output too, is the set placed:
each previous output is given a second name (its backup, `.{target}.triangulate-{16 hex}.part`, linked while
locked), then each new file is given a temporary name (linkat through /proc/self/fd) and at once renamed onto
its target. Until then there is no name a kill -9 could orphan: the kernel frees an unnamed file with its last
descriptor. Where a file system has no O_TMPFILE, the temporary file is named from the start.

**All or nothing.** A placed set (`Placed`) keeps the previous outputs' backups until it is settled: a rename
that fails half-way through the set (a side file another user owns in a sticky folder, a full disk) puts every
earlier output back, and so does `Placed.restore` afterwards, which the run calls when its history could not
commit the run (pipeline/memory.py). So exit 2 leaves the earlier set, whole. Outputs written in place (a FIFO,
standard output) cannot be taken back. `settle` removes the backups and the stale outputs of an earlier run.

The temporary files and backups can hold special category data, so:

* a name is recorded before it exists (created O_EXCL, or linked), and every recorded name is removed in a
  `finally` unless it was renamed;
* SIGINT, SIGTERM and SIGHUP are taken over while the set is written: the handler only notes the signal and the
  writer raises it (`errors.Stopped`) at its next step, so a signal can never land half-way through creating a
  file or through the clean-up itself, and the renames always run to the end (the set is never half old, half
  new). A stream that waits (a FIFO with no reader yet, a full pipe) checks for one often;
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
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TypeAlias

from ..errors import TEXT_ERRORS, Stopped, SystemFault
from .streams import Stream, where, write_stream

TEMPORARY_MARK = "triangulate"
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_NO_TMPFILE = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)  # the file system cannot make an unnamed file
_Handler: TypeAlias = "Callable[[int, FrameType | None], Any] | int | signal.Handlers"

__all__ = ["Placed", "Stream", "place_all_atomic", "where", "write_all_atomic"]


def temporary_name(target_name: str) -> str:
    return f".{target_name}.{TEMPORARY_MARK}-{secrets.token_hex(8)}.part"


def _temporary_pattern(target_names: set[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in sorted(target_names))
    return re.compile(rf"\.(?:{names})\.{TEMPORARY_MARK}-[0-9a-f]{{16}}\.part")


class _DeferredSignals:
    """SIGINT, SIGTERM and SIGHUP only noted while the body runs; `check` raises the first that came (`Stopped`)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous: dict[int, _Handler] = {}

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signum

    def check(self) -> None:
        if self.received is not None:
            raise Stopped(self.received)

    def __enter__(self) -> _DeferredSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread receives signals in Python
        try:
            for signum in _SIGNALS:
                current = signal.getsignal(signum)
                if current is None or current == signal.SIG_IGN:
                    continue  # an ignored signal stays ignored; a handler set outside Python is left alone
                signal.signal(signum, self._note)
                self.previous[signum] = current
        except BaseException:
            self._restore()
            raise
        return self

    def _restore(self) -> None:
        """Put every previous handler back, even if one of them runs (for a signal just come) and raises."""
        raised: BaseException | None = None
        for signum, handler in self.previous.items():
            try:
                signal.signal(signum, handler)
            except BaseException as error:  # noqa: BLE001 - raised once every handler is back
                raised = raised or error
                signal.signal(signum, handler)  # the handler that raised has run: this time it goes through
        self.previous.clear()
        if raised is not None:
            raise raised

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._restore()
        if not isinstance(error, KeyboardInterrupt):
            self.check()  # a signal that came during the last step or the clean-up


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


@dataclass
class _Staged:
    target: Path
    handle: int
    temporary: Path | None  # its name: from its creation (no O_TMPFILE) or from its link at the commit
    backup: Path | None = None  # the previous output's second name, kept until the set is settled
    backup_handle: int | None = None  # holds the backup's lock
    replaced: bool = False  # renamed onto its target


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


def _stage(target: Path, staged: list[_Staged]) -> int:
    """A new file for `target`, recorded in `staged`: unnamed where the file system allows, else named and
    recorded before it exists (created 0o600, never an existing file) and locked. Returns its descriptor,
    which stays open, and locked, until the rename."""
    handle = _unnamed(target.parent)
    if handle is not None:
        staged.append(_Staged(target, handle, None))
        return handle
    while True:
        temporary = target.with_name(temporary_name(target.name))
        staged.append(_Staged(target, -1, temporary))  # recorded before it exists: the caller's finally removes it
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


def _write_through(handle: int, text: str) -> None:
    with open(handle, "w", encoding="utf-8", errors=TEXT_ERRORS, newline="", closefd=False) as stream:
        stream.write(text)
        stream.flush()
        os.fsync(handle)


def _link(item: _Staged, folder: int) -> None:
    """Give an unnamed file its temporary name in its target's folder (`folder`, a descriptor), recorded first."""
    while True:
        name = temporary_name(item.target.name)
        item.temporary = item.target.with_name(name)
        try:
            # os.link calls linkat, which follows /proc/self/fd/N to the file, only when given a folder's descriptor.
            os.link(f"/proc/self/fd/{item.handle}", name, dst_dir_fd=folder, follow_symlinks=True)
            return
        except FileExistsError:
            item.temporary = None  # someone else's name: never ours to remove


def _open_all(paths: list[Path], flags: int) -> list[int]:
    """A descriptor for each path that can be opened (missing ones skipped); the caller closes them."""
    handles: list[int] = []
    for path in paths:
        with contextlib.suppress(OSError):
            handles.append(os.open(path, flags | os.O_CLOEXEC))
    return handles


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


def _keep_previous(item: _Staged, folder: int) -> None:
    """Give the output about to be replaced a second name, its backup, recorded first: opened and locked before
    it is linked (through /proc/self/fd), so another run's clean-up cannot take it. A name the tool chose may hold
    a link or a FIFO someone planted: that name itself is kept (a hard link to it), unlocked."""
    try:
        handle = os.open(item.target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # nothing there before: taking the set back removes the new file
    except OSError:
        handle = None  # a planted link (ELOOP), or a file we may not read
    if handle is not None and not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        handle = None
    if handle is not None:
        item.backup_handle = handle
        fcntl.flock(handle, fcntl.LOCK_EX)
    _may_replace(item.target, folder)
    while True:
        name = temporary_name(item.target.name)
        item.backup = item.target.with_name(name)
        try:
            if handle is not None:
                os.link(f"/proc/self/fd/{handle}", name, dst_dir_fd=folder, follow_symlinks=True)
            else:
                os.link(item.target.name, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
            return
        except FileExistsError:
            item.backup = None  # someone else's name: never ours to remove
        except FileNotFoundError:
            item.backup = None  # gone since it was opened: nothing to take back
            return


def _may_replace(target: Path, folder: int) -> None:
    """In a sticky folder (like /tmp) only the file's owner, the folder's or root may rename over a file or unlink
    it: a backup linked to another user's file could then never be removed. Refused before anything is linked."""
    found, within = os.stat(target, follow_symlinks=False), os.fstat(folder)
    me = os.geteuid()
    if within.st_mode & stat.S_ISVTX and me != 0 and me not in (found.st_uid, within.st_uid):
        raise PermissionError(errno.EPERM, "another user's file in a sticky folder", str(target))


@dataclass
class Placed:
    """A set of outputs renamed into place, with the previous ones kept (`_Staged.backup`) until `settle` removes
    them, or `restore` puts them back. Exactly one of the two is called: by `write_all_atomic` at once, or once
    the run's history has committed the run, or failed to (pipeline/memory.py)."""

    paths: list[Path]
    items: list[_Staged] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)

    def settle(self) -> None:
        """Keep the new set: remove the backups and the stale outputs of an earlier run."""
        with _DeferredSignals():
            self._let_go()

    def _let_go(self) -> None:
        try:
            for path in self.stale:
                with _naming(path):
                    path.unlink(missing_ok=True)
        finally:
            self._forget_backups()

    def restore(self) -> None:
        """Put back every previous output (and remove each new output that had none); best effort on each, so
        one that cannot go back does not keep the others."""
        with _DeferredSignals():
            self._put_back()

    def _put_back(self) -> None:
        for item in reversed(self.items):
            if not item.replaced:
                continue
            with contextlib.suppress(OSError):
                if item.backup is not None:
                    os.replace(item.backup, item.target)
                    item.backup = None
                else:
                    item.target.unlink(missing_ok=True)
            item.replaced = False
        self._forget_backups()

    def _forget_backups(self) -> None:
        for item in self.items:
            if item.backup is not None:
                with contextlib.suppress(OSError):
                    item.backup.unlink(missing_ok=True)
                item.backup = None
            if item.backup_handle is not None:
                with contextlib.suppress(OSError):
                    os.close(item.backup_handle)
                item.backup_handle = None
        for folder in self.folders:
            _fsync_folder(folder)


def write_all_atomic(
    files: dict[Path, str], remove: list[Path] | None = None, *, named: Collection[Path] | None = None
) -> list[Path]:
    """Every regular file to an unnamed file beside its target first, every stream output in place, and only
    then is each file named and renamed into place, and only then are `remove` (stale outputs of an earlier
    run) deleted. `named`: the paths the user named (see `streams.where`); None: every path in `files`.

    A failure, Ctrl-C, SIGTERM or SIGHUP while writing leaves every previous output as it was and no temporary
    file; one during the renames waits for them to finish. An output written to standard output takes it: what
    the run prints afterwards goes to standard error (`--json - | jq` gets the JSON alone).
    """
    with _DeferredSignals() as signals:  # a signal during the renames is raised once the new set is whole
        placed = _place(files, remove, named, signals)
        placed._let_go()
    return placed.paths


def place_all_atomic(
    files: dict[Path, str], remove: list[Path] | None = None, *, named: Collection[Path] | None = None
) -> Placed:
    """As `write_all_atomic`, but the previous outputs are kept: the caller then settles the set, or restores it.
    A signal that came during the renames puts the previous set back (the run it belongs to is not recorded)."""
    placed: Placed | None = None
    try:
        with _DeferredSignals() as signals:
            placed = _place(files, remove, named, signals)
    except BaseException:
        if placed is not None:
            placed.restore()
        raise
    return placed


def _place(files: dict[Path, str], remove: list[Path] | None, named: Collection[Path] | None,
           signals: _DeferredSignals) -> Placed:  # fmt: skip
    chosen = {Path(path) for path in (files if named is None else named)}
    plans = [(Path(path), where(Path(path), named=Path(path) in chosen), text) for path, text in files.items()]
    targets = [(place, text) for _, place, text in plans if isinstance(place, Path)]
    streams = [(place, text) for _, place, text in plans if isinstance(place, Stream)]
    placed = Placed([path for path, _, _ in plans], stale=[Path(path) for path in remove or ()])
    folders: dict[Path, set[str]] = {}
    for path in [target for target, _ in targets] + placed.stale:
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
            write_stream(stream, text.encode("utf-8", TEXT_ERRORS), signals)
        signals.check()
        # From here a signal waits: the set is never half old and half new. Every previous output gets its backup
        # before the first rename, so a set that cannot be placed whole is put back as it was.
        folder_of = {folder: handle for folder in folders for handle in _open_all([folder], os.O_PATH | os.O_DIRECTORY)}
        held += folder_of.values()
        for item in staged:
            with _naming(item.target):
                _keep_previous(item, folder_of[item.target.parent])
        for item in staged:
            if item.temporary is None:
                with _naming(item.target):  # named only now, renamed at once
                    _link(item, folder_of[item.target.parent])
            with _naming(item.target):
                os.replace(item.temporary, item.target)  # type: ignore[arg-type]
            item.replaced, item.temporary = True, None
        for folder in folders:
            _fsync_folder(folder)
    except BaseException:
        placed._put_back()  # signals are deferred already
        raise
    finally:
        for handle in [item.handle for item in staged] + held:
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
