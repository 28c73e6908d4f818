"""HistoryError: the one error the history raises, so the CLI reports it as one line with exit code 2."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..errors import TriangulateError

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


class HistoryError(TriangulateError):
    """The run history cannot be opened, upgraded, read or written."""


def safe_url(url: str) -> str:
    """The URL as it may be printed: never with its password, nor its query string (`?password=` carries one), nor
    anything of a host that holds an `@` (a password with an unescaped `@` spills into the host)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return _PASSWORD.sub(r"\1***@", url).split("?", 1)[0]
    if "@" in (parsed.host or ""):
        return f"{parsed.drivername}://***"
    return parsed.set(query={}).render_as_string(hide_password=True)


def reason(error: BaseException) -> str:
    """What went wrong, in a few words: the driver's first line only, since later lines may quote the data."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__
