"""How a run ends when a signal asks it to, and how its worker processes end with it.

**The command** (`install_handlers`, first thing in `cli.main` and in the console entry point). SIGINT, SIGTERM and
SIGHUP each raise `Stopped(signum)` (a KeyboardInterrupt) in the main thread, wherever the run is, so every
`finally` runs for all three alike: the check workers and the Great Expectations worker are stopped and reaped, the
run's temporary folders go, no partial output is left. `exit_stopped` then prints one line (`triangulate:
interrupted` / `terminated` / `hung up`) and exits 128 + the signal's number. Only the first signal raises: one that
follows while the run is already stopping must not cut its clean-up short. A signal ignored when the command starts
(SIGHUP under nohup, SIGINT in a background job) stays ignored, and a handler someone else set is left alone. On
SIGHUP, standard output and error that were a terminal which has since hung up are pointed at /dev/null, so that no
write in the clean-up fails (EIO) and turns the hang-up into another error.

**The workers** (`die_with_parent`, first thing in each worker process). Linux kills a worker with SIGKILL the moment
its parent ends, however it ends (even by SIGKILL, when no `finally` runs); a parent that had already gone before the
worker asked is noticed by its pid. multiprocessing's resource tracker, which the "spawn" start method always starts
(it is handed to every spawned child), ignores SIGINT and SIGTERM and exits when the last holder of its pipe does:
the parent and the workers, so it ends with them.

Nothing happens at import: importing this module is cheap (the console entry point imports it before the CLI).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any, NoReturn, TypeAlias

from .errors import Stopped

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_stopping: int | None = None  # the signal that is stopping the run, once one has
_Handler: TypeAlias = "Callable[[int, FrameType | None], Any] | int | signal.Handlers"


def _stop(signum: int, frame: FrameType | None) -> None:
    if _stopping is not None:
        return  # the run is already stopping: its clean-up runs to the end, and it exits as the first signal said
    _stopping_by(signum)


def _stopping_by(signum: int) -> NoReturn:
    global _stopping
    _stopping = signum
    if signum == signal.SIGHUP:
        _leave_a_hung_up_terminal()
    raise Stopped(signum)


def _leave_a_hung_up_terminal() -> None:
    """A terminal that hung up fails every write (EIO), and a failed write in a clean-up (the progress line's last
    erase, click's blank line) would replace the `Stopped` on its way out: standard output and error that are a
    character device but no longer a terminal (or /dev/null already) go to /dev/null. A live terminal is kept."""
    for fd in (1, 2):
        try:
            if stat.S_ISCHR(os.fstat(fd).st_mode) and not os.isatty(fd):
                null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
                os.dup2(null, fd)
                os.close(null)
        except OSError:
            continue


def install_handlers() -> None:
    """Make SIGINT, SIGTERM and SIGHUP raise `Stopped` in the main thread from now on (a no-op elsewhere)."""
    global _stopping
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers, and only it receives signals in Python
    _stopping = None  # a new command (a test may run several in one process)
    for signum in HANDLED:
        current = signal.getsignal(signum)
        if current in (signal.SIG_DFL, signal.default_int_handler, _stop, stop_late):
            signal.signal(signum, _stop)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP held back by the kernel (not lost) while the body runs, and delivered after it:
    for steps that must not be cut in two and never wait on another process (starting a worker; a history's
    commit with the settling or restoring of the outputs that goes with it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(HANDLED))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class DeferredSignals:
    """SIGINT, SIGTERM and SIGHUP only noted while the body runs (outputs being written: pipeline/atomic.py);
    `check` raises the first that came as the run's own handler would (`_stop`: so a second signal during the
    clean-up that follows cannot cut it short). A body that may wait on another process (a FIFO's reader) calls
    `check` while it waits."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.previous: dict[int, _Handler] = {}
        self.stopping = stop_behind(sys.exc_info()[1]) is not None  # made while a signal stops the run

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.received = self.received or signum

    def check(self) -> None:
        if self.received is not None and not self.stopping:  # in a clean-up of a stop, a later signal is forgotten
            _stopping_by(self.received)

    def __enter__(self) -> DeferredSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread receives signals in Python
        try:
            for signum in HANDLED:
                current = signal.getsignal(signum)
                if current is None or current == signal.SIG_IGN:
                    continue  # an ignored signal stays ignored; a handler set outside Python is left alone
                signal.signal(signum, self._note)
                self.previous[signum] = current
        except BaseException:
            self._restore()
            raise
        return self

    def _restore(self) -> None:
        """Put every previous handler back, even if one of them runs (for a signal just come) and raises."""
        raised: BaseException | None = None
        for signum, handler in self.previous.items():
            try:
                signal.signal(signum, handler)
            except BaseException as error:  # noqa: BLE001 - raised once every handler is back
                raised = raised or error
                signal.signal(signum, handler)  # the handler that raised has run: this time it goes through
        self.previous.clear()
        if raised is not None:
            raise raised

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._restore()
        if not isinstance(error, KeyboardInterrupt):
            self.check()  # a signal that came during the last step or the clean-up



def stop_late(signum: int, frame: FrameType | None) -> None:
    """A signal once the command has finished its work: no frame is left for `Stopped` to unwind (the interpreter
    is shutting down, where a raise prints a traceback), so the one line and the code, at once."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        os.write(2, f"triangulate: {Stopped(signum).word}\n".encode())
    os._exit(128 + signum)


def finishing() -> None:
    """The command is done (its exit code decided): from here to the interpreter's exit a signal ends it with its
    own code and line, never a traceback from the shutdown."""
    if threading.current_thread() is not threading.main_thread():
        return
    # Held while the handlers are swapped, so a signal arriving now waits and reaches `stop_late`, never `_stop`
    # half-way through the swap (which raised Stopped from here, as a traceback).
    held = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        for signum in HANDLED:
            if signal.getsignal(signum) is _stop:
                signal.signal(signum, stop_late)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def stop_behind(error: BaseException | None) -> Stopped | None:
    """The `Stopped` that `error` is, was raised from (click turns a KeyboardInterrupt into Abort) or was raised
    while handling (a clean-up that failed on its way out), if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, Stopped):
            return error
        error = error.__cause__ or error.__context__
    return None


def stopped_by(error: BaseException | None) -> Stopped:
    """The `Stopped` behind an interruption (`stop_behind`); a plain KeyboardInterrupt (Python's own handler) is Ctrl-C."""
    return stop_behind(error) or Stopped(signal.SIGINT)


def exit_stopped(error: BaseException | None) -> NoReturn:
    """Exit as the signal behind `error` asks (see `stopped_by`): one line on stderr, exit 128 + its number. Every
    handled signal is ignored from here, so a second one cannot turn the exit into a death by signal."""
    if threading.current_thread() is threading.main_thread():
        for signum in HANDLED:
            signal.signal(signum, signal.SIG_IGN)
    stopped = stopped_by(error)
    with contextlib.suppress(OSError, ValueError, AttributeError):  # a hung-up terminal, a closed or absent stderr
        sys.stderr.write(f"triangulate: {stopped.word}\n")
        sys.stderr.flush()
    sys.exit(stopped.exit_code)


def die_with_parent(parent: int) -> None:
    """In a worker process: be killed (SIGKILL) when the thread that started it ends, whatever ends it; exit at once
    if `parent` (its pid, passed by the parent) has gone already. Linux only; elsewhere the worker's pipe closing
    ends it, as before."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl: no signal will come, so go now
        os._exit(1)
