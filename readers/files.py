"""File-level helpers shared by every reader: existence, provenance hashes, format sniffing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import InputError
from ..model import InputFile

_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


def existing_file(path: str | Path) -> Path:
    candidate = Path(path)
    if not candidate.exists():
        raise InputError("file not found", path=candidate)
    if not candidate.is_file():
        raise InputError("not a regular file", path=candidate)
    if candidate.stat().st_size == 0:
        raise InputError("file is empty", path=candidate)
    return candidate


def provenance(path: Path) -> InputFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return InputFile(path=str(path), size=path.stat().st_size, sha256=digest.hexdigest())


def leading_bytes(path: Path, count: int = 4096) -> bytes:
    with path.open("rb") as handle:
        return handle.read(count)


def is_zip_container(path: Path) -> bool:
    """An .xlsx is a zip; sniff it so a workbook renamed .csv is still read as a workbook."""
    return leading_bytes(path, 4) == _ZIP_MAGIC
