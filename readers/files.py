"""File-level helpers shared by every reader: existence, provenance hashes, format sniffing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..errors import InputError

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
    candidate = Path(path)
    if not candidate.exists():
        raise InputError("file not found", path=candidate)
    if not candidate.is_file():
        raise InputError("not a regular file", path=candidate)
    if candidate.stat().st_size == 0:
        raise InputError("file is empty", path=candidate)
    return candidate


def file_digest(path: Path) -> tuple[int, str]:
    """Size in bytes and SHA-256 of a file, read in chunks: what provenance records of an input."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return path.stat().st_size, digest.hexdigest()


def leading_bytes(path: Path, count: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(count)


def is_zip_container(path: Path) -> bool:
    """An .xlsx is a zip; sniff it so a workbook renamed .csv is still read as a workbook."""
    return leading_bytes(path, 4) == _ZIP_MAGIC


def within_size(path: Path, limit: int, what: str, setting: str = "") -> None:
    size = path.stat().st_size
    if size > limit:
        hint = f" (set {setting} to raise it)" if setting else ""
        raise InputError(f"{what} is {size / MIB:,.0f} MB, over the {limit / MIB:,.0f} MB limit{hint}", path=path)


def first_overlong_line(path: Path, limit: int = MAX_LINE_BYTES) -> int | None:
    """The number of the first line longer than `limit` bytes, read in fixed chunks: memory stays bounded."""
    import numpy as np

    line, run = 1, 0  # run: bytes since the last newline
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_SCAN_CHUNK), b""):
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


def workbook_within_limits(path: Path) -> None:
    import zipfile

    within_size(path, MAX_WORKBOOK_BYTES, "workbook")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError):
        # NotImplementedError: a zip version or compression Python cannot read; RuntimeError: encrypted.
        raise InputError("not a readable .xlsx workbook (corrupt or unsupported zip)", path=path) from None
    if unpacked > MAX_WORKBOOK_UNPACKED_BYTES:
        raise InputError(
            f"workbook unpacks to {unpacked / MIB:,.0f} MB, over the {MAX_WORKBOOK_UNPACKED_BYTES / MIB:,.0f} MB limit", path=path
        )
