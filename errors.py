"""Exit codes are a contract: each failure is an exception carrying its code, caught once in cli.main."""

from __future__ import annotations

import codecs
import errno
import os
import re
import signal
from collections.abc import Sequence

from .text import UNDECODED_BYTES, printable

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_BAD_INPUT = 2


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
        # A file name cannot forge a line or a colour; its undecodable bytes are the console's to show.
        return printable(" ".join((prefix + self.message).split()), keep=UNDECODED_BYTES)


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


STDOUT_NAME = "standard output"  # how a fault of standard output is named, in place of a path


class SystemFault(TriangulateError):
    """The operating system refused (no space, a file too large, a name too long, no permission, a closed
    output): exit 2, one line naming the path, never an internal error."""

    @classmethod
    def of(cls, error: OSError, path: object = None) -> SystemFault:
        """`error` as one line naming `path`, else the path the error carries: for a two-path call (rename,
        link) the second, where the write was going, and an output's temporary name as its output's."""
        where = path if path is not None else error.filename2 if error.filename2 is not None else error.filename
        if isinstance(where, bytes | int):  # os calls given bytes or a descriptor carry them as they were given
            where = os.fsdecode(where) if isinstance(where, bytes) else None
        where = _output_of(str(where)) if where is not None else None
        return cls(os_reason(error, stream=where == STDOUT_NAME), path=where)


_OS_WORDS = {
    errno.ENOSPC: "no space left on the device holding it",
    errno.EDQUOT: "disk quota exceeded on the device holding it",
    errno.EFBIG: "file too large (a file size limit of this system or process)",
    errno.ENAMETOOLONG: "file name too long for this system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EPIPE: "the reader of this output has closed it",
    errno.ELOOP: "too many levels of symbolic links (a link loop)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOENT: "not found",
    errno.EMFILE: "too many open files in this process",
    errno.ENFILE: "too many open files on this system",
    errno.EIO: "input/output error (the device failed)",
    errno.ENXIO: "no such device (or a FIFO with no reader)",
    errno.ETXTBSY: "file busy (a program being run)",
    errno.EXDEV: "on another file system",
}
# A console stream has no file: its words say what it writes to.
_STREAM_WORDS = {
    errno.ENOSPC: "no space left on the device it writes to",
    errno.EDQUOT: "disk quota exceeded on the device it writes to",
    errno.EFBIG: "file too large for it (a file size limit of this system or process)",
    errno.EPIPE: "closed by the program reading it (broken pipe)",
    errno.EBADF: "closed",
}


# The refusals of the operating system that cli.main reports as one line, exit 2: what a full disk, a quota, a limit,
# a permission, a missing or wrong path, a failing device or a closed pipe gives. Any other errno (EBADF, EINVAL,
# EFAULT...) means the program misused a call: a bug, exit 3. A closed console stream's EBADF (_STREAM_WORDS) is
# reported where the stream fails (environment.py), never through here.
SYSTEM_REFUSALS = frozenset(_OS_WORDS) | (frozenset(_STREAM_WORDS) - {errno.EBADF}) | {
    errno.EROFS, errno.EDQUOT, errno.EMFILE, errno.ENFILE, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP,
    errno.EIO, errno.ENXIO, errno.ETXTBSY, errno.EXDEV, errno.EPIPE,
}  # fmt: skip


def os_reason(error: OSError, *, stream: bool = False) -> str:
    """An OSError in a few words (the path is named by the message's prefix); `stream`: it is a console stream's."""
    if stream and error.errno in _STREAM_WORDS:
        return _STREAM_WORDS[error.errno]
    if error.errno in _OS_WORDS:
        return _OS_WORDS[error.errno]
    return (error.strerror or type(error).__name__).lower()


# pipeline/atomic.py names a temporary file `.{target}.triangulate-{16 hex}.part` beside its target.
_TEMPORARY = re.compile(r"\.(?P<target>.+)\.triangulate-[0-9a-f]{16}\.part")


def _output_of(path: str) -> str:
    """The output a temporary file was being written for, else `path` itself: the user never named the former."""
    folder, _, name = path.rpartition("/")
    found = _TEMPORARY.fullmatch(name)
    if found is None:
        return path
    return f"{folder}/{found['target']}" if folder or path.startswith("/") else found["target"]


# --- File names the locale cannot encode ------------------------------------------------------------------------
#
# A file name is bytes. Python hands one that the locale cannot decode (a name that is not UTF-8, or any non-ASCII
# name under LC_ALL=C without UTF-8 mode) to the program with each undecodable byte as a lone surrogate,
# U+DC80-U+DCFF ("surrogateescape"), so the file can still be opened. Such a string cannot be written as UTF-8 or
# printed as it is. These two codec error handlers write it: the bytes decoded as UTF-8 where they are UTF-8 (a
# name like café.csv under LC_ALL=C), else each byte as U+FFFD in a file and as \xNN on the console. On the console
# what the bytes decode to is escaped as every name is (text.printable): a C1 control (\xc2\x9b, CSI), a line
# separator or a bidirectional override is shown, not obeyed.
#
# They are registered with the codecs when first needed (`register_text_errors`: environment.prepare, `encode_text`,
# `text_errors`, `shown_name`), not at import: importing this module changes nothing outside it.

TEXT_ERRORS = "triangulate.text"  # for an output file (UTF-8): never a backslash, a quote or markup added
CONSOLE_ERRORS = "triangulate.console"  # for the console: anything its encoding cannot carry, backslash-escaped


def _escaped_bytes(text: str, undecodable: str, *, console: bool = False) -> str:
    """`text` with each run of surrogate-escaped bytes decoded as UTF-8, with `undecodable` for the bytes that
    are not; any other surrogate is taken as undecodable too. `console`: what a run decodes to is made printable."""
    out: list[str] = []
    run = bytearray()
    for char in text + "\0":  # the sentinel ends the last run
        if "\udc80" <= char <= "\udcff":
            run.append(ord(char) - 0xDC00)
            continue
        if run:
            decoded = run.decode("utf-8", undecodable)
            # Escaped bytes are never ASCII, but they may well decode to a control character a terminal obeys.
            out.append(printable(decoded) if console else decoded)
            run.clear()
        if "\ud800" <= char <= "\udfff":  # a lone surrogate that is no escaped byte
            char = "\ufffd" if undecodable == "replace" else f"\\u{ord(char):04x}"
        out.append(char)
    return "".join(out[:-1])


# Each returns bytes in the target encoding: the UTF-8 encoder takes a str from a handler only if it is ASCII.
def _text_errors(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    shown = _escaped_bytes(error.object[error.start : error.end], "replace")
    return shown.encode(error.encoding, "replace"), error.end


def _console_errors(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    shown = _escaped_bytes(error.object[error.start : error.end], "backslashreplace", console=True)
    # What the console's encoding cannot carry (é under LC_ALL=C) is escaped as well.
    return shown.encode(error.encoding, "backslashreplace"), error.end


_registered = False


def register_text_errors() -> None:
    """Make TEXT_ERRORS and CONSOLE_ERRORS known to the codecs (idempotent): before the first encode that names them."""
    global _registered
    if not _registered:
        codecs.register_error(TEXT_ERRORS, _text_errors)
        codecs.register_error(CONSOLE_ERRORS, _console_errors)
        _registered = True


def text_errors() -> str:
    """TEXT_ERRORS, registered: the `errors=` of a text stream writing an output file."""
    register_text_errors()
    return TEXT_ERRORS


def encode_text(text: str) -> bytes:
    """`text` as an output file's UTF-8 bytes, a name the locale could not decode written as TEXT_ERRORS says."""
    register_text_errors()
    return text.encode("utf-8", TEXT_ERRORS)


def shown_name(name: str) -> str:
    """A file name as the console shows it: printable whatever bytes it has (see CONSOLE_ERRORS)."""
    register_text_errors()
    return name.encode("utf-8", CONSOLE_ERRORS).decode("utf-8")


def unencodable_name(error: UnicodeEncodeError, argv: Sequence[str] = ()) -> SystemFault | None:
    """A file name with bytes the locale could not decode met an encoder (an output, a database): one line naming
    it, the argument it came from where there is one. None: `error` is not about such a name (a bug)."""
    if not isinstance(error.object, str):
        return None
    bad = error.object[error.start : error.end]
    if not bad or not all("\udc80" <= char <= "\udcff" for char in bad):
        return None
    named = next((argument for argument in argv if bad in argument), None)
    if named is None:  # a name found by a glob or in a folder: the word of the text around it that holds it
        words = re.findall(r"[^\s\"'<>,;=]+", error.object[max(0, error.start - 200) : error.end + 200])
        named = next((word for word in words if bad in word), bad)
    return SystemFault("its name has bytes this locale cannot decode, so it cannot be written out; rename it (or, "
                       "if the name is UTF-8, run in a UTF-8 locale)", path=shown_name(named))  # fmt: skip


def system_fault(error: BaseException, argv: Sequence[str] = ()) -> SystemFault | None:
    """`error` as the one line of a refusal by the operating system (an OSError whose errno is in SYSTEM_REFUSALS,
    or a file name it gave that cannot be encoded), for cli.main; None for anything else, which is a bug."""
    if isinstance(error, OSError):
        return SystemFault.of(error) if error.errno in SYSTEM_REFUSALS else None
    if isinstance(error, UnicodeEncodeError):
        return unencodable_name(error, argv)
    return None


_EXCEPTION_NAME = re.compile(r"\b([A-Z]\w*(?:Error|Exception))\b")


def crash_detail(text: str) -> str:
    """What a crashed check reports: the exception's class only, since its message may quote the data."""
    found = _EXCEPTION_NAME.search(text)
    return f"raised {found[1]}" if found else "raised an exception"
