"""Outputs are written whole or not at all, no temporary file outlives the run, and nothing on the host is replaced.

**Where an output goes** (`where`). A path the user named that exists and is not a regular file is written in
place, without a temporary file or a rename: a character device (`/dev/null`), a FIFO, `/dev/stdout`, or `-` for
standard output. A symbolic link the user named is resolved and its target is written atomically; the link stays.
A block device or a socket is refused, and so is a folder. A path the tool names itself (a side file, an output's
default name in `--out`) is never followed: whatever is there (a planted link, a FIFO) is replaced by the new file.

**Atomic files.** Each regular output is written to an unnamed file in its target's folder (O_TMPFILE, mode
0o600), flushed and fsync'ed; only when every one is written, and every stream output too, is each given a
temporary name (`.{target}.triangulate-{16 hex}.part`, by linkat through /proc/self/fd) and at once renamed onto
its target; then the folder is fsync'ed. Until that last moment there is no name a kill -9 could orphan: the
kernel frees an unnamed file with its last descriptor. Where a file system has no O_TMPFILE, the temporary file
is named from the start, as before. The temporary files can hold special category data, so:

* a name is recorded before it exists (created O_EXCL, or linked), and every recorded name is removed in a
  `finally` unless it was renamed;
* SIGINT and SIGTERM are taken over while the set is written: the handler only notes the signal and the writer
  raises it (KeyboardInterrupt; `Terminated` for SIGTERM) at its next step, so a signal can never land half-way
  through creating a file or through the clean-up itself, and the renames always run to the end (the set is
  never half old, half new). A stream that waits (a FIFO with no reader yet, a full pipe) checks for one often;
* SIGKILL cannot be caught, so each run first removes the named temporary files an earlier, killed run left
  beside the targets it is about to write. Only names of exactly this writer's pattern for those targets are
  touched, and a file is removed only if no live writer holds its lock (each writer holds an flock on its
  temporary files, named or not, until they are renamed), so a run writing into the same folder at the same
  time keeps its files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import os
import re
import secrets
import select
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, NamedTuple, TypeAlias

from ..errors import UsageError

TEMPORARY_MARK = "triangulate"
STDOUT = "-"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_NO_TMPFILE = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL)  # the file system cannot make an unnamed file
_WAIT = 0.05  # seconds a waiting stream sleeps between looks for a signal
_CHUNK = 4096  # a stream is written in pieces no larger than a pipe's atomic write
_Handler: TypeAlias = "Callable[[int, FrameType | None], Any] | int | signal.Handlers"


class Terminated(KeyboardInterrupt):
    """SIGTERM while outputs were being written: handled as an interruption (cli.main: exit 130)."""


class Stream(NamedTuple):
    """An output written in place: standard output (`fd` 1) or a device or FIFO opened by its path."""

    path: Path
    fd: int | None


def temporary_name(target_name: str) -> str:
    return f".{target_name}.{TEMPORARY_MARK}-{secrets.token_hex(8)}.part"


def _temporary_pattern(target_names: set[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in sorted(target_names))
    return re.compile(rf"\.(?:{names})\.{TEMPORARY_MARK}-[0-9a-f]{{16}}\.part")


def _is_stdout(found: os.stat_result) -> bool:
    try:
        out = os.fstat(1)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (out.st_dev, out.st_ino)


def where(path: Path, *, named: bool = True) -> Path | Stream:
    """Where the output for `path` goes: a `Stream` written in place, or the regular file to write atomically
    (a named symbolic link resolved). A folder, a block device or a socket is refused (UsageError)."""
    path = Path(path)
    if named and str(path) == STDOUT:
        return Stream(path, 1)
    try:
        found = os.stat(path) if named else os.lstat(path)
    except FileNotFoundError:
        return path.resolve() if named and path.is_symlink() else path  # a dangling link: its target is made
    except OSError:
        return path  # reported when written
    if stat.S_ISDIR(found.st_mode):
        raise UsageError(f"output path is a directory: {path}")
    if not named or (stat.S_ISREG(found.st_mode) and not path.is_symlink()):
        return path
    if path.is_symlink() and _is_stdout(found):
        return Stream(path, 1)  # /dev/stdout, /proc/self/fd/1: whatever standard output is, at its own offset
    if stat.S_ISREG(found.st_mode):
        return path.resolve()
    if stat.S_ISBLK(found.st_mode):
        raise UsageError(f"output path is a block device, never written: {path}")
    if stat.S_ISSOCK(found.st_mode):
        raise UsageError(f"output path is a socket: {path}")
    return Stream(path, None)  # a character device or a FIFO


class _DeferredSignals:
    """SIGINT and SIGTERM only noted while the body runs; `check` raises one that came."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous: dict[int, _Handler] = {}

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signum

    def check(self) -> None:
        if self.received == signal.SIGTERM:
            raise Terminated("terminated")
        if self.received is not None:
            raise KeyboardInterrupt

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
    with open(handle, "w", encoding="utf-8", newline="", closefd=False) as stream:
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


def _write_stream(stream: Stream, data: bytes, signals: _DeferredSignals) -> None:
    """Write `data` in place, looking for a signal whenever the other end makes us wait; a stream that fails (a
    closed pipe, a full device) is one line (exit 2), and no file of the set is renamed into place."""
    try:
        _write_in_place(stream, data, signals)
    except OSError as error:
        raise UsageError(f"cannot write the output to {stream.path}: {error.strerror or error}") from None


def _write_in_place(stream: Stream, data: bytes, signals: _DeferredSignals) -> None:
    if stream.fd is not None:
        sys.stdout.flush()
        try:
            handle = sys.stdout.fileno() if stream.path == Path(STDOUT) else stream.fd
        except (AttributeError, OSError, io.UnsupportedOperation):  # standard output is not a file (a test's)
            buffer = getattr(sys.stdout, "buffer", None)
            if buffer is not None:
                buffer.write(data)
            else:
                sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
            return
        _write_all(handle, data, signals)
        return
    while True:  # a FIFO with no reader yet: ENXIO until one opens it
        signals.check()
        try:
            handle = os.open(stream.path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            break
        except OSError as error:
            if error.errno != errno.ENXIO:
                raise
        time.sleep(_WAIT)
    try:
        os.set_blocking(handle, True)
        _write_all(handle, data, signals)
    finally:
        os.close(handle)


def _write_all(handle: int, data: bytes, signals: _DeferredSignals) -> None:
    view = memoryview(data)
    while view:
        signals.check()
        _, ready, _ = select.select([], [handle], [], _WAIT)
        if ready:
            view = view[os.write(handle, view[:_CHUNK]) :]


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


def write_all_atomic(
    files: dict[Path, str], remove: list[Path] | None = None, *, named: Collection[Path] | None = None
) -> list[Path]:
    """Every regular file to an unnamed file beside its target first, every stream output in place, and only
    then is each file named and renamed into place, and only then are `remove` (stale outputs of an earlier
    run) deleted. `named`: the paths the user named (see `where`); None: every path in `files`.

    A failure, Ctrl-C or SIGTERM while writing leaves every previous output as it was and no temporary file;
    one during the renames waits for them to finish. An output written to standard output takes it: what the
    run prints afterwards goes to standard error (`--json - | jq` gets the JSON alone).
    """
    chosen = {Path(path) for path in (files if named is None else named)}
    plans = [(Path(path), where(Path(path), named=Path(path) in chosen), text) for path, text in files.items()]
    stale = [Path(path) for path in remove or ()]
    targets = [(place, text) for _, place, text in plans if isinstance(place, Path)]
    streams = [(place, text) for _, place, text in plans if isinstance(place, Stream)]
    folders: dict[Path, set[str]] = {}
    for path in [target for target, _ in targets] + stale:
        folders.setdefault(path.parent, set()).add(path.name)

    staged: list[_Staged] = []  # recorded before each temporary name exists
    held: list[int] = []  # folders and previous outputs, open through the renames
    renamed = 0
    with _DeferredSignals() as signals:
        try:
            for folder, names in folders.items():
                folder.mkdir(parents=True, exist_ok=True)
                _remove_left_behind(folder, _temporary_pattern(names))
            for target, text in targets:
                signals.check()
                _write_through(_stage(target, staged), text)
            for stream, text in streams:
                _write_stream(stream, text.encode("utf-8"), signals)
            signals.check()
            # From here a signal waits: the set is never half old and half new. Each previous output is held open
            # (O_PATH), so a rename does not free its blocks: a name lives a few microseconds before its rename.
            held += _open_all([item.target for item in staged], os.O_PATH | os.O_NOFOLLOW)
            folder_of = {folder: handle for folder in folders for handle in _open_all([folder], os.O_PATH | os.O_DIRECTORY)}
            held += folder_of.values()
            for item in staged:
                if item.temporary is None:
                    _link(item, folder_of[item.target.parent])  # named only now, and renamed at once
                os.replace(item.temporary, item.target)  # type: ignore[arg-type]
                renamed += 1
            for path in stale:
                path.unlink(missing_ok=True)
            for folder in folders:
                _fsync_folder(folder)
        finally:
            for handle in [item.handle for item in staged] + held:
                with contextlib.suppress(OSError):
                    os.close(handle)
            for item in staged[renamed:]:
                if item.temporary is not None:
                    with contextlib.suppress(OSError):  # one that cannot go must not keep the others
                        item.temporary.unlink(missing_ok=True)
    if any(stream.fd == 1 for stream, _ in streams):
        sys.stdout = sys.stderr
    return [path for path, _, _ in plans]
