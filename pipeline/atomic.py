"""Outputs are written whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

from ..errors import UsageError


def write_all_atomic(files: dict[Path, str], remove: list[Path] | None = None) -> list[Path]:
    """Every file to a temporary beside its target first; only then are they renamed into place,
    and only then are `remove` (stale outputs of an earlier run) deleted.

    A failure or Ctrl-C while writing leaves every previous output as it was.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            target = Path(path)
            if target.is_dir():
                raise UsageError(f"output path is a directory: {target}")
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            staged.append((temporary, target))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
        # Ctrl-C waits until every rename is done, so the set is never half old and half new.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for temporary, target in staged:
                os.replace(temporary, target)
            for stale in remove or ():
                stale.unlink(missing_ok=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    except BaseException:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        raise
    return [target for _, target in staged]
