"""The one process that runs the Great Expectations suites: started ahead of need, so importing GX
(seconds: the longest single step of `triangulate check`) overlaps the main process's reading and checking.

A command that validates starts the worker first thing (`prestart`, in the CLI); the check stage adopts
it (`suite_worker`) and submits each source's canonical death records (pickled across a pipe by a sender
thread, so the main process never blocks on a worker still importing); the findings come back as
`SuiteFindings`, the same as `run_suite` in-process. The worker is a *spawned* interpreter, never a fork of
one with pandas, lxml and BLAS threads running; it imports GX with GX_ANALYTICS_ENABLED=false in its own
environment and builds the in-memory ephemeral context, then (if nothing is waiting yet) warms up on an
empty frame.

Whatever happens to the worker, nothing passes that did not run: an exception in a suite, a worker that
dies (its exit is noticed at once) or one that takes longer than TRIANGULATE_SUITE_TIMEOUT seconds
(default 600) reports every check of that suite as crashed. Ctrl-C and a hang-up are the main process's
alone (the worker ignores SIGINT and SIGHUP, which a terminal sends to the whole process group); the worker
is stopped and reaped when the command ends, however it ends, and is killed by the kernel the moment the
main process dies, even by SIGKILL (lifecycle.py `die_with_parent`).

As with any spawned process, a script that runs the CLI in-process (`triangulate.cli.main([...])`) must do
so under `if __name__ == "__main__":`; otherwise the worker, importing the script, fails to start and every
check of the suite is reported as crashed.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from ..lifecycle import HANDLED, die_with_parent, signals_held
from . import SuiteFindings, suite_check_ids

if TYPE_CHECKING:
    import pandas as pd

TIMEOUT_ENV = "TRIANGULATE_SUITE_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
_READY = "ready"
_STOP_GRACE = 2.0  # seconds a worker that is idle gets to exit by itself before it is terminated


def spawn_context() -> multiprocessing.context.SpawnContext:
    """Every worker process of a run is spawned: a fresh interpreter inherits no threads or locks."""
    return multiprocessing.get_context("spawn")


interrupts_held = signals_held  # starting a worker: a signal comes once it is recorded (and so stopped)


def as_worker(parent: int) -> None:
    """First thing in a worker process (`parent`: the main process's pid). It dies with the main process, whatever
    kills that; Ctrl-C and a hang-up, which a terminal sends to the whole process group, belong to the main process,
    which stops the workers itself (SIGTERM still ends a worker: multiprocessing terminates one left at exit).
    A semaphore that a library makes through the default context (tqdm's lock, which GX uses) is unlinked at
    once under "fork" semantics, so a worker that is killed leaves none behind for the resource tracker to
    warn about; the worker itself starts no processes."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(HANDLED))
    multiprocessing.set_start_method("fork", force=True)


def run_worker(parent: int, module: str, function: str, *args: object) -> None:
    """A worker's target: `as_worker` before anything heavy is imported (the worker's own module may take a second
    to import, all of which the worker would otherwise spend deaf to its parent's death), then `module.function`."""
    as_worker(parent)
    getattr(importlib.import_module(module), function)(*args)


class Duplex:
    """Both ends of a worker's conversation, made of two one-way pipes: no sockets (a socketpair), which a
    process may forbid. It has what `multiprocessing.connection.wait` needs (fileno)."""

    def __init__(self, reader: Connection, writer: Connection) -> None:
        self.reader, self.writer = reader, writer

    def send(self, message: object) -> None:
        self.writer.send(message)

    def recv(self) -> Any:
        return self.reader.recv()

    def poll(self, timeout: float = 0.0) -> bool:
        return self.reader.poll(timeout)

    def fileno(self) -> int:
        return self.reader.fileno()

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


def duplex_pipe() -> tuple[Duplex, Duplex]:
    """(this process's end, the worker's end)."""
    context = spawn_context()
    mine_reader, their_writer = context.Pipe(duplex=False)
    their_reader, mine_writer = context.Pipe(duplex=False)
    return Duplex(mine_reader, mine_writer), Duplex(their_reader, their_writer)


def stop_process(process: multiprocessing.process.BaseProcess, grace: float) -> None:
    """Wait up to `grace` seconds for a process to end, then terminate, then kill; always reaped."""
    process.join(grace)
    for end in (process.terminate, process.kill):
        if process.exitcode is not None:
            break
        end()
        process.join(2.0)
    process.join()


def _timeout() -> float:
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


@dataclass
class PendingSuite:
    """A suite submitted to the worker; `result()` waits for its findings."""

    worker: SuiteWorker
    ticket: int
    name: str
    deadline: float

    def result(self) -> SuiteFindings:
        return self.worker.wait_for(self)


class SuiteWorker:
    """The worker process and its pipe. Requests are served in the order they are submitted."""

    def __init__(self) -> None:
        self.process: multiprocessing.process.BaseProcess | None = None
        self.connection: Duplex | None = None
        self.ready = False
        self.failure = ""  # why the worker can no longer serve (it died, timed out); set once
        self._outbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._tickets = 0
        self._received = 0  # answers the worker has sent back
        self._answers: dict[int, tuple[SuiteFindings | None, str]] = {}

    def start(self) -> SuiteWorker:
        self.ready, self.failure = False, ""
        context = spawn_context()
        mine, theirs = duplex_pipe()
        process = context.Process(target=_serve, args=(os.getpid(), theirs), name="triangulate-suites", daemon=True)
        try:
            with interrupts_held():
                process.start()
                self.process, self.connection = process, mine  # recorded before a held signal can raise
        finally:
            theirs.close()
        self._sender = threading.Thread(target=self._send_all, name="triangulate-suites-sender", daemon=True)
        self._sender.start()
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def submit(self, frame: pd.DataFrame, name: str, parameters: dict[str, Any] | None = None) -> PendingSuite:
        if self.process is None:
            self.start()
        self._tickets += 1
        self._outbox.put((self._tickets, frame, name, parameters))
        return PendingSuite(self, self._tickets, name, time.monotonic() + _timeout())

    def wait_for(self, pending: PendingSuite) -> SuiteFindings:
        while pending.ticket not in self._answers and not self.failure:
            self._receive(pending.deadline)
        findings, detail = self._answers.pop(pending.ticket, (None, self.failure))
        if findings is None:
            return SuiteFindings({}, dict.fromkeys(suite_check_ids(pending.name), detail))
        return findings

    def _receive(self, deadline: float) -> None:
        assert self.process is not None and self.connection is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            self._fail(f"the Great Expectations worker took longer than {_timeout():g} s ({TIMEOUT_ENV})")
            return
        ready = wait([self.connection, self.process.sentinel], timeout=remaining)
        if self.connection in ready:
            try:
                message = self.connection.recv()
            except (EOFError, OSError):
                self._fail(self._death())
                return
            if message == _READY:
                self.ready = True
            else:
                ticket, findings, detail = message
                self._answers[ticket] = (findings, detail)
                self._received += 1
        elif self.process.sentinel in ready:
            self._fail(self._death())

    def _death(self) -> str:
        assert self.process is not None
        self.process.join(1.0)
        return f"the Great Expectations worker stopped (exit code {self.process.exitcode})"

    def _fail(self, detail: str) -> None:
        self.failure = self.failure or detail
        if self.process is not None and self.process.exitcode is None:
            self.process.kill()

    def _send_all(self) -> None:
        """The sender thread: requests in order, then None (the worker's cue to exit) when the worker is closed."""
        while True:
            request = self._outbox.get()
            try:
                self.connection.send(request)  # type: ignore[union-attr]
            except (OSError, ValueError, AttributeError):  # the worker is gone: its sentinel tells whoever waits
                return
            if request is None:
                return

    def close(self) -> None:
        """Stop the worker and reap it: politely when it is idle, at once when it is importing or busy."""
        if self.process is None:
            return
        process, self.process = self.process, None
        connection = self.connection
        if not self.ready and connection is not None:
            with contextlib.suppress(EOFError, OSError):
                while connection.poll(0) and not self.ready:
                    self.ready = connection.recv() == _READY
        idle = self.ready and self._received == self._tickets
        self._outbox.put(None)
        if not idle:
            process.kill()  # nothing to finish and nothing written: its work is abandoned (even while it starts)
        stop_process(process, _STOP_GRACE)
        if self._sender is not None:
            self._sender.join(_STOP_GRACE)
        if connection is not None:
            connection.close()
        self.failure = self.failure or "the Great Expectations worker was stopped"

    def __enter__(self) -> SuiteWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(parent: int, connection: Duplex) -> None:
    """The worker: import GX and build its context, warm up unless work is waiting, then serve until told to stop."""
    as_worker(parent)
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from ..errors import crash_detail
    from . import _context, run_suite

    with contextlib.suppress(Exception):  # a context that cannot be built: each suite asked for reports it as a crash
        _context()
    try:
        connection.send(_READY)
        if not connection.poll(0):
            _warm_up()
        while True:
            request = connection.recv()
            if request is None:
                os._exit(0)  # nothing to flush or clean up; tearing down GX's modules would only cost time
            ticket, frame, name, parameters = request
            try:
                answer = (ticket, run_suite(frame, name, parameters), "")
            except Exception as error:  # noqa: BLE001 - a suite that raises reports its checks as crashed
                answer = (ticket, None, crash_detail(type(error).__name__))
            del frame
            connection.send(answer)
    except (EOFError, OSError):  # the main process has gone
        return


def _warm_up() -> None:
    """Validate an empty frame once, so the first real suite does not pay for GX's lazy imports."""
    import pandas as pd

    from . import load_suite_definition, run_suite

    definition = load_suite_definition("death_records")
    columns = {
        value
        for e in definition["expectations"]
        for key, value in e["kwargs"].items()
        if key in ("column", "column_A", "column_B")
    }
    with contextlib.suppress(Exception):
        run_suite(pd.DataFrame({c: pd.Series([], dtype=object) for c in sorted(columns)}), "death_records")


_prestarted: SuiteWorker | None = None


def prestart() -> None:
    """Start the worker now, first thing in a command that validates, for the check stage to adopt
    (`suite_worker`); the command calls `stop_prestarted` when it ends, however it ends."""
    global _prestarted
    if _prestarted is None:
        _prestarted = SuiteWorker()  # kept first: a signal raised as it starts leaves it for `stop_prestarted`
        _prestarted.start()


def stop_prestarted() -> None:
    """Stop the prestarted worker if the check stage has not adopted it (adopted, it is stopped there)."""
    global _prestarted
    worker, _prestarted = _prestarted, None
    if worker is not None:
        worker.close()


@contextlib.contextmanager
def suite_worker() -> Iterator[SuiteWorker]:
    """The check stage's worker: the one the command prestarted, else one started now; stopped on leaving."""
    global _prestarted
    worker, _prestarted = _prestarted, None
    worker = worker or SuiteWorker()
    try:
        yield worker
    finally:
        worker.close()
