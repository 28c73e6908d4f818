"""Text files decoded as a whole: the encoding is decided on every byte, never on a sample.

UTF-8 (with or without BOM) and UTF-16 (with BOM) are read as declared; a file with bytes that
are not UTF-8 is Windows-1252 (as Excel saves) only if nothing in it is UTF-8 beyond ASCII. A
file that mixes the two is refused at the line of its first bad byte: decoding it either way
would silently turn some of its text into mojibake.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..errors import InputError

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_bytes(data: bytes, path: Path) -> tuple[str, str]:
    """A file's bytes as text, and the encoding they were read in; InputError naming the line of a byte that fits no
    encoding (`path` names the file)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            line = data[: error.start].decode("utf-16", errors="replace").count("\n") + 1
            raise InputError("not valid UTF-16 although it starts with a UTF-16 byte-order mark", path=path,
                             where=f"line {line}") from None  # fmt: skip
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError("not a text file (binary content)", path=path, where=f"line {_line_of(data, nul)}")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig" if bom else "utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as error:
        first_bad = error.start + (3 if bom else 0)
    before, after = data[:first_bad], data[first_bad:]
    if bom or any(byte >= 0x80 for byte in before) or _UTF8_MULTIBYTE.search(after):
        raise InputError(
            f"mixes UTF-8 with bytes that are not UTF-8 (byte 0x{data[first_bad]:02X}); save it again as UTF-8",
            path=path,
            where=f"line {_line_of(data, first_bad)}",
        )
    undefined = _CP1252_UNDEFINED.search(data)
    if undefined:
        raise InputError(f"neither UTF-8 nor Windows-1252 (byte 0x{undefined[0][0]:02X})", path=path,
                         where=f"line {_line_of(data, undefined.start())}")  # fmt: skip
    return data.decode("cp1252"), "cp1252"


def clean_name(name: str) -> str:
    """A header name without invisible characters (zero-width spaces, BOMs, non-breaking spaces at its ends)."""
    visible = "".join(char for char in name if unicodedata.category(char) != "Cf")
    return visible.replace("\u00a0", " ").strip()


def bytes_text(value: bytes | bytearray | memoryview) -> str:
    """Bytes read as a cell (a database's bytea, a Parquet binary column): UTF-8, bytes that are not as `\\xff`."""
    return bytes(value).decode("utf-8", errors="backslashreplace")
