"""What a command needs of the machine before it starts, checked once in cli.main: usable console streams and a
usable temporary folder. Each failure is one line, exit 2 (a SystemFault), never an internal error later.

* **Standard output** that is closed (`>&-`) is refused at once: nothing could be printed. One that fails later (a
  full disk or /dev/full, a reader that has gone: `| head`) is one line naming it, exit 2, and is pointed at
  /dev/null at once, so nothing tries the write again at exit ("Exception ignored ... BrokenPipeError").
* **Standard input or error closed at start** (`2>&-`) is given /dev/null, and standard error a `sys.stderr` on it:
  what is written there (the line of a signal that stops the run, the history's waiting line) is lost, never
  written to standard output nor an AttributeError on None; the exit code still tells.
* **File names the locale cannot encode** (LC_ALL=C without UTF-8 mode, a name that is not UTF-8) are printed
  escaped (errors.CONSOLE_ERRORS), never a UnicodeEncodeError.
* **The temporary folder**: Python's tempfile (matplotlib's cache, the checks' worker processes) falls back silently
  to the working folder when $TMPDIR is unusable, and fails later where that cannot be written. So $TMPDIR, when
  set, must be a folder a file can be made and written in; when unset, the folder tempfile chooses must be.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import CONSOLE_ERRORS, STDOUT_NAME, SystemFault, os_reason, register_text_errors

# The commands whose work uses a temporary folder: checks (the worker processes), reports (matplotlib), histories.
NEEDS_TEMPORARY_FOLDER = frozenset({"check", "reconcile", "run", "revisions", "history"})
TEMPORARY_VARIABLES = ("TMPDIR", "TEMP", "TMP")  # the order Python's tempfile reads them in
_ONLY_ASKING = frozenset({"-h", "--help", "--version"})  # help and the version need nothing of the machine


def prepare(argv: Sequence[str]) -> None:
    """Before any work: the console streams guarded, and for a command that needs one a usable temporary folder.
    `argv`: the command line without the program's name."""
    register_text_errors()  # the console's streams below, and every output, encode with them
    _guard_console()
    if _ONLY_ASKING.intersection(argv):
        return
    command = next((argument for argument in argv if not argument.startswith("-")), None)
    if command in NEEDS_TEMPORARY_FOLDER:
        usable_temporary_folder()


def report(line: str) -> None:
    """`line` on standard error; a standard error that cannot be written loses it, and the exit code still tells."""
    import click

    try:
        click.echo(line, err=True)
    except UnicodeError:
        raise  # a bug of the escaping (errors.CONSOLE_ERRORS), not a lost stream
    except (OSError, ValueError):  # a full or broken standard error; ValueError: one that has been closed
        pass


# --- The console --------------------------------------------------------------------------------------------------


class _ConsoleBuffer(io.BufferedWriter):
    """Standard output's bytes. A write the system refuses is one line naming standard output (SystemFault, so click
    does not turn a broken pipe into a silent exit 1), and standard output then goes to /dev/null: what is still
    buffered is thrown away at exit instead of failing again there."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        try:
            return super().write(data)
        except OSError as error:
            raise _stdout_failed(error) from None

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            raise _stdout_failed(error) from None


def _stdout_failed(error: OSError) -> SystemFault:
    discard_stdout()
    return SystemFault.of(error, STDOUT_NAME)


def discard_stdout() -> None:
    """Point file descriptor 1 at /dev/null (what the Python documentation advises after a broken pipe)."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        try:
            os.dup2(null, 1)
        finally:
            os.close(null)


def _guard_console() -> None:
    for fd in (0, 2):  # a closed one is given /dev/null: a file opened later must never become standard error
        try:
            os.fstat(fd)
        except OSError:
            _give_null(fd)
    if sys.stderr is None:  # Python found descriptor 2 closed at start (`2>&-`): it is /dev/null now
        _rebuild_stderr()
    if sys.stdout is None:  # Python found descriptor 1 closed at start (`>&-`)
        raise SystemFault("closed, so nothing could be printed (send it to /dev/null to throw it away)", path=STDOUT_NAME)
    if sys.stderr is sys.__stderr__ and isinstance(sys.stderr, io.TextIOWrapper):
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.reconfigure(encoding=_console_encoding(sys.stderr), errors=CONSOLE_ERRORS)
    if sys.stdout is not sys.__stdout__ or not isinstance(sys.stdout, io.TextIOWrapper):
        return  # already guarded, or replaced (a test's capture): left as it is
    original = sys.stdout
    try:
        original.flush()
        fd = original.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return
    raw = io.FileIO(fd, "w", closefd=False)  # the descriptor stays Python's standard output's
    # Line-buffered: a failing write surfaces while the command runs (one line), not at the interpreter's exit.
    sys.stdout = io.TextIOWrapper(_ConsoleBuffer(raw), encoding=_console_encoding(original), errors=CONSOLE_ERRORS,
                                  line_buffering=True)  # fmt: skip


def _rebuild_stderr() -> None:
    """A standard error on descriptor 2 (given /dev/null above), so that whatever writes to sys.stderr (the exit
    line of a signal, the history's waiting line) loses its line there instead of failing, or going elsewhere."""
    try:
        raw = io.FileIO(2, "w", closefd=False)
    except (OSError, ValueError):
        return  # no descriptor 2 even now: every writer of sys.stderr already copes with None
    sys.stderr = io.TextIOWrapper(raw, encoding="utf-8", errors=CONSOLE_ERRORS, line_buffering=True)


def _console_encoding(stream: io.TextIOWrapper) -> str:
    """The stream's encoding, but UTF-8 for ASCII (LC_ALL=C): click writes UTF-8 to an ASCII stream anyway, through
    a wrapper of its own that would bypass the guard and the escaping."""
    return "utf-8" if codecs.lookup(stream.encoding).name == "ascii" else stream.encoding


def _give_null(fd: int) -> None:
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd, inheritable=True)
            os.close(null)
        else:  # os.open made it non-inheritable: a child (a worker) must find its standard stream open too
            os.set_inheritable(fd, True)


# --- The temporary folder -----------------------------------------------------------------------------------------


def usable_temporary_folder() -> Path:
    """The temporary folder this run will use, made sure of: a file can be made, written and removed there. Exit 2
    naming the folder and the variable that chose it, otherwise."""
    variable = next((name for name in TEMPORARY_VARIABLES if os.environ.get(name)), None)
    if variable is not None:
        folder = Path(os.environ[variable])
    else:
        try:
            folder = Path(tempfile.gettempdir())
        except OSError:  # tempfile found none of /tmp, /var/tmp, /usr/tmp and the working folder writable
            raise SystemFault("no usable temporary folder (none of /tmp, /var/tmp, /usr/tmp and the working folder can be "
                              "written); set TMPDIR to a writable folder") from None  # fmt: skip
    _try_writing(folder, variable)
    return folder


def _try_writing(folder: Path, variable: str | None) -> None:
    chosen = f"the temporary folder (${variable})" if variable else "the temporary folder"
    advice = f"; set {variable or 'TMPDIR'} to a writable folder"
    try:
        if not folder.is_dir():
            reason = "does not exist" if not folder.exists() and not folder.is_symlink() else "is not a folder"
            raise SystemFault(f"{chosen} {reason}{advice}", path=folder)
        handle, name = tempfile.mkstemp(prefix=".triangulate-probe-", dir=folder)
    except OSError as error:
        raise SystemFault(f"{chosen} cannot be used: {os_reason(error)}{advice}", path=folder) from None
    try:
        os.write(handle, b"x")  # a folder on a full device takes a new empty file, not a byte
    except OSError as error:
        raise SystemFault(f"{chosen} cannot be used: {os_reason(error)}{advice}", path=folder) from None
    finally:
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(name)
