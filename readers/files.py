"""File-level helpers shared by every reader: existence, provenance hashes, format sniffing."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import BinaryIO

from ..domain.inputs import InputFile
from ..errors import InputError, SystemFault
from ..safe_open import open_regular  # the one definition, shared with config/ and history/ (re-exported here)

_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20
_SCAN_CHUNK = 1 << 22
MIB = 1 << 20

# Limits that keep memory bounded whatever arrives. A national year is far inside each: the NCMD
# extract is a few MB, SSDA903 episodes tens of MB, the largest LA's CIN census file about 100 MB.
# A 128 MB CSV (1.5 million NCMD-shaped rows) was measured at 1.4 GB peak RSS under `check`.
MAX_TABLE_BYTES = int(os.environ.get("TRIANGULATE_MAX_TABLE_MB", "128")) * MIB  # one CSV extract
MAX_WORKBOOK_BYTES = 128 * MIB  # one .xlsx, compressed
MAX_WORKBOOK_UNPACKED_BYTES = 1024 * MIB  # its contents once unzipped: refuses zip bombs
MAX_XML_BYTES = 1024 * MIB  # one CIN census or SSDA903 XML file
MAX_LINE_BYTES = 4 * MIB  # one CSV line (a field over 1 MB is refused later anyway)


def existing_file(path: str | Path) -> Path:
    """`path`, if it is a non-empty regular file this process may open; else one line naming it (exit 2): missing,
    not a regular file, empty, or refused by the system (a name too long, no permission, a link loop)."""
    candidate = Path(path)
    try:
        found = candidate.stat()
    except FileNotFoundError:
        missing = "a symbolic link to a file that is not there" if candidate.is_symlink() else "file not found"
        raise InputError(missing, path=candidate) from None
    except OSError as error:  # ENAMETOOLONG, ELOOP, ENOTDIR, EACCES on a folder on the way
        raise SystemFault.of(error, candidate) from None
    if not stat.S_ISREG(found.st_mode):
        raise InputError("not a regular file", path=candidate)
    if found.st_size == 0:
        raise InputError("file is empty", path=candidate)
    try:  # whether it may be read is known only by opening it: root reads what the mode forbids everyone else
        os.close(os.open(candidate, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC))
    except OSError as error:
        raise SystemFault.of(error, candidate) from None
    return candidate


def file_digest(path: Path) -> tuple[int, str]:
    """Size in bytes and SHA-256 of a file, read in chunks (for comparing two files' content; an input's provenance
    comes from the read that parsed it, `opened_input`)."""
    digest = hashlib.sha256()
    size = 0
    with open_regular(path) as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def leading_bytes(path: Path, count: int = 4096) -> bytes:
    """The first bytes of a file, to sniff its format (whatever reads it then reads it whole, `opened_input`)."""
    with open_regular(path) as handle:
        return handle.read(count)


def is_zip(head: bytes) -> bool:
    """An .xlsx is a zip; sniff it so a workbook renamed .csv is still read as a workbook."""
    return head[:4] == _ZIP_MAGIC


def refuse_size(size: int, limit: int, what: str, path: object, setting: str = "") -> None:
    """InputError when `size` bytes is over `limit`: the one wording of every size limit."""
    if size > limit:
        hint = f" (set {setting} to raise it)" if setting else ""
        raise InputError(f"{what} is {size / MIB:,.0f} MB, over the {limit / MIB:,.0f} MB limit{hint}", path=path)


def first_overlong_line(data: bytes, limit: int = MAX_LINE_BYTES) -> int | None:
    """The number of the first line longer than `limit` bytes, scanned in fixed chunks: memory stays bounded."""
    import numpy as np

    line, run = 1, 0  # run: bytes since the last newline
    view = memoryview(data)
    for chunk in (view[start : start + _SCAN_CHUNK] for start in range(0, len(view), _SCAN_CHUNK)):
        newlines = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if newlines.size == 0:
            run += len(chunk)
            if run > limit:
                return line
            continue
        if run + int(newlines[0]) > limit:
            return line
        gaps = np.diff(newlines) - 1
        over = np.flatnonzero(gaps > limit)
        if over.size:
            return line + 1 + int(over[0])
        line += int(newlines.size)
        run = len(chunk) - int(newlines[-1]) - 1
    return line if run > limit else None


def workbook_within_limits(data: bytes, path: Path) -> None:
    """A workbook's bytes (read whole, within MAX_WORKBOOK_BYTES) unpack to no more than MAX_WORKBOOK_UNPACKED_BYTES."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
        # NotImplementedError: a zip version or compression Python cannot read; RuntimeError: encrypted.
        raise InputError("not a readable .xlsx workbook (corrupt or unsupported zip)", path=path) from None
    if unpacked > MAX_WORKBOOK_UNPACKED_BYTES:
        raise InputError(
            f"workbook unpacks to {unpacked / MIB:,.0f} MB, over the {MAX_WORKBOOK_UNPACKED_BYTES / MIB:,.0f} MB limit", path=path
        )


# --- Reading an input once, safely, hashing the very bytes parsed ---------------------------------------------------


class HashedInput:
    """An input file being read once: every byte handed to the parser is counted and hashed on its way, so what
    provenance records (`file`) is exactly what was parsed, whatever happens to the file meanwhile."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self._handle = handle
        self._digest = hashlib.sha256()
        self.size = 0  # bytes read so far
        self._stat_size = os.fstat(handle.fileno()).st_size
        self._limit: int | None = None
        self._refusal = ("", "")

    def peek(self, count: int) -> bytes:
        """The first `count` bytes, to tell the format, without moving on (they are read, and hashed, with the rest)."""
        return os.pread(self._handle.fileno(), count, 0)

    def within(self, limit: int, what: str, setting: str = "") -> None:
        """Refuse the file now if it is over `limit` bytes, and later if it grows past it while it is read."""
        refuse_size(max(self._stat_size, self.size), limit, what, self.path, setting)
        self._limit, self._refusal = limit, (what, setting)

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes, or all that is left (-1): lxml's iterparse reads a file object by this."""
        if size < 0:
            # The size fstat gave and a chunk more in one read: one buffer, no copy, unless the file is growing.
            parts = []
            while part := self.read(max(self._stat_size - self.size, 0) + _CHUNK):
                parts.append(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        if self._limit is not None:
            size = min(size, self._limit + 1 - self.size)  # one byte over the limit is enough to know
        data = self._handle.read(size)
        self.size += len(data)
        self._digest.update(data)
        if self._limit is not None and self.size > self._limit:
            what, setting = self._refusal
            refuse_size(self.size, self._limit, f"{what} grew while it was read and", self.path, setting)
        return data

    @property
    def file(self) -> InputFile:
        return InputFile(path=str(self.path), size=self.size, sha256=self._digest.hexdigest())


_READ: ContextVar[list[InputFile] | None] = ContextVar("triangulate_inputs_read", default=None)


@contextmanager
def opened_input(path: str | Path) -> Iterator[HashedInput]:
    """An input file opened to be parsed (`open_regular`), read once through the HashedInput given. Once the block
    ends without an error, its InputFile (the bytes read) joins the files `inputs_recorded` is collecting."""
    with open_regular(path) as handle:
        source = HashedInput(Path(path), handle)
        yield source
    collected = _READ.get()
    if collected is not None:
        collected.append(source.file)


@contextmanager
def inputs_recorded() -> Iterator[list[InputFile]]:
    """The InputFile of each input read (`opened_input`) inside the block, in order: what was parsed, so what a
    check certifies. The readers return frames; this is how the bytes behind them come back with them."""
    collected: list[InputFile] = []
    token = _READ.set(collected)
    try:
        yield collected
    finally:
        _READ.reset(token)


def files_as_read(paths: Sequence[str | Path], read: Sequence[InputFile]) -> tuple[InputFile, ...]:
    """Each path's InputFile as its reader read it (`read`, from `inputs_recorded`; the last read of a path counts).
    A path no reader read through `opened_input` (a kind registered by a test or plugin reads its own way) is hashed
    now, as the best that can be said of it."""
    as_read = {file.path: file for file in read}
    out = []
    for path in paths:
        found = as_read.get(str(Path(path)))
        if found is None:
            size, sha256 = file_digest(Path(path))
            found = InputFile(path=str(path), size=size, sha256=sha256)
        out.append(found)
    # Inputs that are no file (a database table or query, readers/database.py TableRead): as read, after the files.
    given = {str(Path(path)) for path in paths}
    out.extend(f for f in read if getattr(f, "rows", None) is not None and f.path not in given)
    return tuple(out)


def record_inputs(found: Sequence[InputFile]) -> None:
    """Inputs read otherwise than through `opened_input` (database tables), recorded as a file read is."""
    collected = _READ.get()
    if collected is not None:
        collected.extend(found)
