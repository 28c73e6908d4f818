"""HistoryError: the one error the history raises, so the CLI reports it as one line with exit code 2."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..connections import at_in_password
from ..errors import TriangulateError


class HistoryError(TriangulateError):
    """The run history cannot be opened, upgraded, read or written."""


def safe_url(url: str) -> str:
    """The URL as it may be printed: never with its password, nor its query string (`?password=` carries one), nor
    anything of a host that holds an `@` (a password with an unescaped `@` spills into the host)."""
    if "://" not in url:
        return url  # a path: no password
    if at_in_password(url):
        return url.split("://", 1)[0] + "://***"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # nothing of it, nor the parser's words: they may quote the password
        return url.split("://", 1)[0] + "://***"
    return parsed.set(query={}).render_as_string(hide_password=True)


def reason(error: BaseException) -> str:
    """What went wrong, in a few words: the driver's first line only, since later lines may quote the data."""
    cause = getattr(error, "orig", None) or error
    first = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__
