"""Exit codes are a contract: each failure is an exception carrying its code, caught once in cli.main."""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class TriangulateError(Exception):
    """Base for every error the CLI reports as a single line."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, path: object = None, where: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.where = where
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        prefix = ""
        if self.path:
            prefix = self.path + (f":{self.where}" if self.where else "") + ": "
        return " ".join((prefix + self.message).split())


class ChecksFailed(Exception):
    """A check at error severity failed, or the sources disagree: exit 1 (raised once the outputs are written)."""

    exit_code = EXIT_CHECKS_FAILED


class InputError(TriangulateError):
    """An input file that cannot be read as the format it claims to be."""


class ConfigError(TriangulateError):
    """A run config that is malformed or names something that does not exist."""


class UsageError(TriangulateError):
    """A command line that cannot be acted on."""


_EXCEPTION_NAME = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")


def crash_detail(text: str) -> str:
    """What a crashed check reports: the exception's class only, since its message may quote the data."""
    found = _EXCEPTION_NAME.search(text)
    return f"raised {found[1]}" if found else "raised an exception"
