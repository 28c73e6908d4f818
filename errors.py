"""Exit codes are a contract: each failure is an exception carrying its code, caught once in cli.main."""

from __future__ import annotations

import errno
import re
import signal

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT


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


class Stopped(KeyboardInterrupt):
    """A signal that ends the run as Ctrl-C does (SIGINT, SIGTERM, SIGHUP): exit 128 + its number, one line.

    A KeyboardInterrupt, so every `finally` and every handler of an interruption (stopping workers, removing
    temporary files) runs for each of them alike."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
        super().__init__(signal.Signals(self.signum).name)

    @property
    def word(self) -> str:
        return {signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}.get(self.signum, "interrupted")


class SystemFault(TriangulateError):
    """The operating system refused (no space, a file too large, a name too long, no permission, a closed
    output): exit 2, one line naming the path, never an internal error."""

    @classmethod
    def of(cls, error: OSError, path: object = None) -> SystemFault:
        where = path if path is not None else error.filename
        return cls(os_reason(error), path=where)


_OS_WORDS = {
    errno.ENOSPC: "no space left on the device holding it",
    errno.EDQUOT: "disk quota exceeded on the device holding it",
    errno.EFBIG: "file too large (a file size limit of this system or process)",
    errno.ENAMETOOLONG: "file name too long for this system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EPIPE: "the reader of this output has closed it",
}


def os_reason(error: OSError) -> str:
    """An OSError in a few words (the path is named by the message's prefix)."""
    if error.errno in _OS_WORDS:
        return _OS_WORDS[error.errno]
    return (error.strerror or type(error).__name__).lower()


_EXCEPTION_NAME = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")


def crash_detail(text: str) -> str:
    """What a crashed check reports: the exception's class only, since its message may quote the data."""
    found = _EXCEPTION_NAME.search(text)
    return f"raised {found[1]}" if found else "raised an exception"
