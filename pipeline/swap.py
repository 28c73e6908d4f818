"""Putting one new output in place with what it replaces kept: swapped in one step where the file system can
(renameat2 RENAME_EXCHANGE, so the temporary name then holds the previous output: its backup), else the previous
output renamed aside first. No hard link to the previous output is ever made, so a file of another user that we
may replace is replaced as before (Linux's protected_hardlinks would refuse a link to it). See pipeline/atomic.py
for the set these belong to.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

TEMPORARY_MARK = "triangulate"
_RENAME_EXCHANGE = 2  # <linux/fs.h>: renameat2 swaps the two names


def temporary_name(target_name: str) -> str:
    return f".{target_name}.{TEMPORARY_MARK}-{secrets.token_hex(8)}.part"


@dataclass
class Staged:
    target: Path
    handle: int
    temporary: Path | None  # its name: from its creation (no O_TMPFILE) or from its link at the commit
    backup: Path | None = None  # what was at the target, under a temporary name until the set is settled
    backup_handle: int | None = None  # holds the previous output's lock
    replaced: bool = False  # the new file is at its target (a stale output: moved aside)
    stale: bool = False  # an earlier run's output this set no longer writes: only moved aside
    kept: bool = False  # a backup that could not be put back: left for the user, never deleted


def link_unnamed(item: Staged, folder: int) -> None:
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


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """libc's renameat2, where this system has it (glibc 2.28 and later)."""
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is not None:
        function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
        function.restype = ctypes.c_int
    return function


def exchange(folder: int, first: str, second: str) -> bool:
    """Swap two names in `folder` in one step (RENAME_EXCHANGE); False where the system or file system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(folder, os.fsencode(first), folder, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), second)


def lock_previous(item: Staged) -> None:
    """Hold the output about to be replaced locked (its backup's lock, so another run's clean-up leaves it); one
    another run holds is being placed by it now: refused, never waited for. A name that is not a regular file (a
    link or FIFO planted at a name the tool chose) is replaced unlocked."""
    try:
        handle = os.open(item.target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return  # none there, a planted link (ELOOP) or a file we may not read: nothing to lock
    item.backup_handle = handle
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(f"{item.target}: another run is placing its outputs here at this moment; try again") from None


def swap_in(item: Staged, folder: int) -> None:
    """Put the new file at its target, keeping what was there under the temporary name (its backup): one atomic
    exchange where the file system can, else the previous output renamed aside and the new one renamed in. No
    hard link to the previous output is made, so another user's file that we may replace is replaced as before."""
    lock_previous(item)
    if item.temporary is None:
        link_unnamed(item, folder)  # the unnamed file is named only now
    temporary = item.temporary
    assert temporary is not None
    try:
        exchanged = exchange(folder, temporary.name, item.target.name)
    except FileNotFoundError:
        exchanged = False  # nothing at the target: a plain rename below
    if exchanged:
        item.backup, item.temporary, item.replaced = temporary, None, True
        return
    move_aside(item, folder)
    os.rename(temporary.name, item.target.name, src_dir_fd=folder, dst_dir_fd=folder)
    item.temporary, item.replaced = None, True


def move_aside(item: Staged, folder: int) -> None:
    """Rename what is at `item.target` to a backup name (recorded first); nothing there: no backup."""
    while True:
        name = temporary_name(item.target.name)
        item.backup = item.target.with_name(name)
        try:
            if os.path.lexists(item.backup):
                continue  # someone else's name: never ours to take
            os.rename(item.target.name, name, src_dir_fd=folder, dst_dir_fd=folder)
            return
        except FileNotFoundError:
            item.backup = None
            return
