"""Opening a file that must be a regular file, never waiting on one that is not (a FIFO, a device).

A leaf above errors.py only, so the readers, the config loader and the history (which may import nothing of the
readers) share the one definition.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import InputError, TriangulateError, os_reason

_NOT_REGULAR = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def not_regular(mode: int) -> str:
    """'' for a regular file, else what it is in words."""
    return "" if stat.S_ISREG(mode) else _NOT_REGULAR.get(stat.S_IFMT(mode), "not a file")


def open_regular(path: str | Path, refuse: type[TriangulateError] = InputError, noun: str = "file") -> BinaryIO:
    """`path` opened for reading, unbuffered, if it is a regular file; else `refuse` at once, one line naming it.

    A FIFO blocks the open until a writer comes and then the read for ever; a device reads without end. So the path
    is looked at (os.stat) before it is opened, and the open cannot block (O_NONBLOCK) and is looked at again (fstat):
    a regular file swapped for a FIFO between the two is refused as well, never waited on.
    """
    try:
        kind = not_regular(os.stat(path).st_mode)
        if kind:
            raise refuse(f"not a regular file ({kind})", path=path)
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise refuse(f"{noun} not found", path=path) from None
    except OSError as error:
        raise refuse(os_reason(error), path=path) from None
    kind = not_regular(os.fstat(handle).st_mode)
    if kind:
        os.close(handle)
        raise refuse(f"not a regular file ({kind})", path=path)
    os.set_blocking(handle, True)  # a regular file's reads never wait; the flag is cleared only to read as usual
    return open(handle, "rb", buffering=0)  # the caller closes it (a context manager)
