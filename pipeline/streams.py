"""Where an output goes, and the outputs written in place (a device, a FIFO, standard output).

A path the user named that exists and is not a regular file is written in place, without a temporary file or a
rename: a character device (`/dev/null`), a FIFO, `/dev/stdout`, or `-` for standard output. A symbolic link the
user named is resolved and its target is written atomically (pipeline/atomic.py); the link stays. A block device
or a socket is refused, and so is a folder. A path the tool names itself is never followed.
"""

from __future__ import annotations

import errno
import io
import os
import select
import stat
import sys
import time
from pathlib import Path
from typing import NamedTuple, Protocol

from ..errors import SystemFault, UsageError

STDOUT = "-"
_WAIT = 0.05  # seconds a waiting stream sleeps between looks for a signal
_CHUNK = 4096  # a stream is written in pieces no larger than a pipe's atomic write


class Stream(NamedTuple):
    """An output written in place: standard output (`fd` 1) or a device or FIFO opened by its path."""

    path: Path
    fd: int | None


class SignalWatch(Protocol):
    def check(self) -> None:
        """Raise a signal that has come (the writer's deferred signals)."""


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


def write_stream(stream: Stream, data: bytes, signals: SignalWatch) -> None:
    """Write `data` in place, looking for a signal whenever the other end makes us wait; a stream that fails (a
    closed pipe, a full device) is one line (exit 2). Written in place, it cannot be taken back."""
    try:
        _write_in_place(stream, data, signals)
    except OSError as error:
        name = "standard output" if stream.fd == 1 else stream.path
        raise SystemFault.of(error, name) from None


def _write_in_place(stream: Stream, data: bytes, signals: SignalWatch) -> None:
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


def _write_all(handle: int, data: bytes, signals: SignalWatch) -> None:
    view = memoryview(data)
    while view:
        signals.check()
        _, ready, _ = select.select([], [handle], [], _WAIT)
        if ready:
            view = view[os.write(handle, view[:_CHUNK]) :]
