"""Outputs are written whole or not at all, and no temporary file outlives the run that wrote it.

Each output goes to a temporary file beside its target, named `.{target}.triangulate-{16 hex}.part`,
which is flushed and fsync'ed; only when every one is written are they renamed into place, and
then the folder is fsync'ed. The temporary files can hold special category data, so:

* a name is recorded before its file is created (O_CREAT|O_EXCL, mode 0o600), and every recorded
  name is removed in a `finally`;
* SIGINT and SIGTERM are taken over while the set is written: the handler only notes the signal
  and the writer raises it (KeyboardInterrupt; `Terminated` for SIGTERM) at its next step, so a
  signal can never land half-way through creating a file or through the clean-up itself, and the
  renames always run to the end (the set is never half old, half new);
* SIGKILL cannot be caught, so each run first removes the temporary files an earlier, killed run
  left beside the targets it is about to write. Only names of exactly this writer's pattern for
  those targets are touched, and a file is removed only if no live writer holds its lock (each
  writer holds an flock on its temporary files until they are renamed), so a run writing into
  the same folder at the same time keeps its files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import signal
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TypeAlias

from ..errors import UsageError

TEMPORARY_MARK = "triangulate"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_Handler: TypeAlias = "Callable[[int, FrameType | None], Any] | int | signal.Handlers"


class Terminated(KeyboardInterrupt):
    """SIGTERM while outputs were being written: handled as an interruption (cli.main: exit 130)."""


def temporary_name(target_name: str) -> str:
    return f".{target_name}.{TEMPORARY_MARK}-{secrets.token_hex(8)}.part"


def _temporary_pattern(target_names: set[str]) -> re.Pattern[str]:
    names = "|".join(re.escape(name) for name in sorted(target_names))
    return re.compile(rf"\.(?:{names})\.{TEMPORARY_MARK}-[0-9a-f]{{16}}\.part")


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


def _stage(target: Path, staged: list[tuple[Path, Path]]) -> int:
    """Record a new temporary name for `target` in `staged`, then create that file (0o600, never an
    existing file) and lock it. Returns its descriptor, which stays open, and locked, until the rename."""
    while True:
        temporary = target.with_name(temporary_name(target.name))
        staged.append((temporary, target))  # recorded before it exists: the caller's finally removes it
        try:
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            staged.pop()  # someone else's file: never ours to remove
            raise
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if os.stat(temporary, follow_symlinks=False).st_ino == os.fstat(handle).st_ino:
                return handle
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(handle)
            raise
        # Another run's clean-up took the file between its creation and its lock: make another.
        os.close(handle)
        staged.pop()


def _write_through(handle: int, text: str) -> None:
    with open(handle, "w", encoding="utf-8", newline="", closefd=False) as stream:
        stream.write(text)
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


def write_all_atomic(files: dict[Path, str], remove: list[Path] | None = None) -> list[Path]:
    """Every file to a temporary beside its target first; only then are they renamed into place,
    and only then are `remove` (stale outputs of an earlier run) deleted.

    A failure, Ctrl-C or SIGTERM while writing leaves every previous output as it was and no
    temporary file; one during the renames waits for them to finish.
    """
    targets = [(Path(path), text) for path, text in files.items()]
    stale = [Path(path) for path in remove or ()]
    for target, _ in targets:
        if target.is_dir():
            raise UsageError(f"output path is a directory: {target}")
    folders: dict[Path, set[str]] = {}
    for path in [target for target, _ in targets] + stale:
        folders.setdefault(path.parent, set()).add(path.name)

    staged: list[tuple[Path, Path]] = []  # (temporary, target), recorded before the temporary exists
    handles: list[int] = []
    renamed = 0
    with _DeferredSignals() as signals:
        try:
            for folder, names in folders.items():
                folder.mkdir(parents=True, exist_ok=True)
                _remove_left_behind(folder, _temporary_pattern(names))
            for target, text in targets:
                signals.check()
                handles.append(_stage(target, staged))
                _write_through(handles[-1], text)
            signals.check()
            # From here a signal waits: the set is never half old and half new.
            for temporary, target in staged:
                os.replace(temporary, target)
                renamed += 1
            for path in stale:
                path.unlink(missing_ok=True)
            for folder in folders:
                _fsync_folder(folder)
        finally:
            for handle in handles:
                with contextlib.suppress(OSError):
                    os.close(handle)
            for temporary, _ in staged[renamed:]:
                with contextlib.suppress(OSError):  # one that cannot go must not keep the others
                    temporary.unlink(missing_ok=True)
    return [target for _, target in staged]
