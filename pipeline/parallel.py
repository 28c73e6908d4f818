"""Checking record-level sources on several cores (`--jobs N`), with their GX suites in the suite worker.

Each source is cut into pieces (pipeline/check.py `source_parts`: runs of files where the kind's files are
independent, else the whole source). With N > 1, up to N spawned worker processes (no more than one for each
BYTES_PER_WORKER of input: a small input is checked in this process) read and check the pieces, largest first,
and the main process takes the results in input order, so every output is the same whatever N is. Memory
stays with the deaths: a worker holds one piece's raw frames at a time, and only each piece's findings, death
records and counts come back. A kind registered at run time (a test's toy kind) is unknown to the workers;
its pieces come back unchecked and are checked here.

Errors keep their order too: a source's missing file, then its pieces' errors in input order, before the next
source's. A worker that dies stops the run with an internal error naming its files; on any error, Ctrl-C, SIGTERM or
SIGHUP (lifecycle.py: each raises `Stopped`) the workers are stopped and reaped before the exception goes on (they
ignore SIGINT and SIGHUP themselves), and should the main process die without a word (SIGKILL) the kernel kills
them with it.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

import pandas as pd

from ..canonical.registry import SourceKind, SourceOptions, source_kind, source_kinds
from ..domain.periods import Span
from ..domain.places import PlacesCovered
from ..expectations import run_suite
from ..expectations.worker import (
    Duplex,
    PendingSuite,
    SuiteWorker,
    duplex_pipe,
    interrupts_held,
    run_worker,
    spawn_context,
    stop_process,
)
from ..readers.files import existing_file
from .check import (
    DEATH_SUITE,
    CheckedSource,
    Failures,
    Piece,
    check_piece,
    finish_source,
    input_bytes,
    merge_pieces,
    source_parts,
)
from .scope import pending_coverage, pending_las, pending_places

Progress = Callable[[str], None]
# A worker process costs one to two seconds of a core to start (its imports), while the GX worker's import is
# taking another. Measured on two cores (2026-12-01): two workers lost at 113 MB of CIN XML in 155 small files
# (5.7-6.6 s against 6.2-6.8 s in this process), broke even at 102 MB in 40 files, and won from 203 MB (7.7-8.6 s
# against 9.5-10.4 s). So one worker per 64 MB of input at most; less is checked in this process whatever --jobs says.
BYTES_PER_WORKER = 64 * 2**20


@dataclass
class PendingSource:
    """A source checked up to its GX suite, which is running in the suite worker."""

    options: SourceOptions
    kind: SourceKind
    pieces: list[Piece]
    deaths: pd.DataFrame
    failures: Failures
    suite: PendingSuite | None

    @property
    def coverage(self) -> tuple[Span, ...]:
        return pending_coverage(self.options, self.pieces)

    @property
    def las(self) -> tuple[str, ...]:
        """The LAs the source is the return of (`pending_las`), () for England: known before its GX suite ends."""
        return pending_las(self.options, self.pieces)

    @property
    def places(self) -> PlacesCovered | None:
        """The LAs it covers year by year (`pending_places`), None for England's figure in every year."""
        return pending_places(self.options, self.pieces)

    def result(self) -> CheckedSource:
        suite = self.suite.result() if self.suite is not None else run_suite(self.deaths, DEATH_SUITE)
        return finish_source(self.options, self.kind, self.pieces, self.deaths, self.failures, suite)


def check_sources(
    sources: Sequence[SourceOptions],
    jobs: int,
    suites: SuiteWorker | None,
    progress: Progress = lambda _: None,
    *,
    bytes_per_worker: int = BYTES_PER_WORKER,
) -> list[PendingSource]:
    """Every source's pieces checked (on up to `jobs` processes, one for each `bytes_per_worker` of input) and merged
    in input order; each source's GX suite submitted to `suites` as soon as its deaths are known (run in this
    process when `suites` is None)."""
    kinds = [source_kind(options.kind) for options in sources]
    workers = _workers(sources, jobs, bytes_per_worker)
    parts = [source_parts(kind, options, workers) for kind, options in zip(kinds, sources, strict=True)]
    plan = [(position, part) for position, source_parts_ in enumerate(parts) for part in source_parts_]
    workers = min(workers, len(plan))
    if suites is not None and suites.process is None and plan:
        suites.start()  # GX imports there while the pieces are read here
    done = [0] * len(sources)

    def arrived(task: int) -> None:
        position, part = plan[task]
        done[position] += len(part.paths)
        total = len(sources[position].paths)
        progress(f"checking {sources[position].name} ({done[position]} of {total} file{'s' if total != 1 else ''})")

    pool = _Pool(workers, [part for _, part in plan], arrived) if workers > 1 else None
    pending: list[PendingSource] = []
    pieces: list[Piece] = []
    stopping = True  # until every piece is in: then the workers are idle and told to exit
    try:
        for task, (position, part) in enumerate(plan):
            if not pieces:  # a source's files are looked for when its turn comes, as they always were
                for path in sources[position].paths:
                    existing_file(path)
            piece = pool.take(task) if pool is not None else None
            if piece is None:  # in this process: one job, or a kind registered at run time, unknown to the workers
                piece = check_piece(part)
                arrived(task)
            pieces.append(piece)
            if len(pieces) == len(parts[position]):
                pending.append(_merged(sources[position], kinds[position], pieces, suites))
                pieces = []
        stopping = False
    finally:
        if pool is not None:
            pool.close(at_once=stopping)
    return pending


def plan_workers(sources: Sequence[SourceOptions], jobs: int, *, bytes_per_worker: int = BYTES_PER_WORKER) -> int:
    """How many worker processes `check_sources` starts for these sources (1: none, all in this process)."""
    workers = _workers(sources, jobs, bytes_per_worker)
    return min(workers, sum(len(source_parts(source_kind(o.kind), o, workers)) for o in sources))


def _workers(sources: Sequence[SourceOptions], jobs: int, bytes_per_worker: int) -> int:
    return min(jobs, max(1, sum(input_bytes(options) for options in sources) // max(1, bytes_per_worker)))


def _merged(options: SourceOptions, kind: SourceKind, pieces: list[Piece], suites: SuiteWorker | None) -> PendingSource:
    deaths, failures = merge_pieces(kind, options, pieces)
    for piece in pieces:
        piece.deaths = piece.deaths.iloc[:0]  # the source's frame holds them now
    suite = suites.submit(deaths, DEATH_SUITE) if suites is not None else None
    return PendingSource(options, kind, pieces, deaths, failures, suite)


class WorkerLost(RuntimeError):
    """A worker process ended while it had a piece to check (killed, out of memory, a crash in a C library)."""


_NOT_HERE = "kind not registered in the worker"


@dataclass
class _Worker:
    process: BaseProcess
    connection: Duplex
    task: int | None = None  # the piece it is checking


class _Pool:
    """Spawned worker processes, each with its own pipe and one piece at a time, handed out largest first;
    results are kept by task until they are taken, in input order."""

    def __init__(self, workers: int, parts: list[SourceOptions], arrived: Callable[[int], None]) -> None:
        self.parts = parts
        self.arrived = arrived
        self.queue = sorted(range(len(parts)), key=lambda task: -input_bytes(parts[task]))
        self.results: dict[int, tuple[object, BaseException | None]] = {}
        self.workers: list[_Worker] = []
        context = spawn_context()
        try:
            with interrupts_held():  # a signal comes once every started worker is recorded here
                for _ in range(workers):
                    mine, theirs = duplex_pipe()
                    # The target is light (expectations/worker.py): the worker takes its parent's death in hand
                    # before it imports this module, pandas and the readers.
                    process = context.Process(target=run_worker, args=(os.getpid(), __name__, "_work", theirs),
                                              name="triangulate-check", daemon=True)  # fmt: skip
                    try:
                        process.start()
                        self.workers.append(_Worker(process, mine))
                    finally:
                        theirs.close()
            for worker in self.workers:
                self._feed(worker)
        except BaseException:  # the caller never gets the pool to close: stop what started here
            self.close(at_once=True)
            raise

    def _feed(self, worker: _Worker) -> None:
        """The next piece for an idle worker: it is waiting in recv, so the send cannot block on a full pipe."""
        if self.queue and worker.task is None:
            worker.task = self.queue.pop(0)
            worker.connection.send((worker.task, self.parts[worker.task]))

    def take(self, task: int) -> Piece | None:
        """The piece of `task`, once it is checked; None when this process must check it itself."""
        while task not in self.results:
            self._receive()
        value, error = self.results.pop(task)
        if error is not None:
            raise error
        return None if isinstance(value, str) and value == _NOT_HERE else value  # type: ignore[return-value]

    def _receive(self) -> None:
        busy = [worker for worker in self.workers if worker.task is not None]
        handles: dict[object, _Worker] = {w.connection: w for w in busy} | {w.process.sentinel: w for w in busy}
        for handle in wait(list(handles)):
            worker = handles[handle]
            if worker.task is None:  # answered already, through its other handle
                continue
            if handle is worker.connection or worker.connection.poll(0):
                try:
                    task, value, error = worker.connection.recv()
                except (EOFError, OSError):
                    self._lost(worker)
                worker.task = None
                self.results[task] = (value, error)
                if error is None and not (isinstance(value, str) and value == _NOT_HERE):
                    self.arrived(task)
                self._feed(worker)
            else:
                self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        worker.process.join(1.0)
        names = ", ".join(str(path) for path in self.parts[worker.task or 0].paths)
        raise WorkerLost(f"a worker process stopped (exit code {worker.process.exitcode}) while checking {names}")

    def close(self, *, at_once: bool = False) -> None:
        """Stop every worker and reap it: an idle one is told to exit; one still working, or every one `at_once` (an
        error or a signal is on its way out), is killed: it has nothing to flush, and SIGKILL also ends one still
        starting, which holds SIGTERM back until `as_worker`."""
        for worker in self.workers:
            try:
                if worker.task is None and not at_once:
                    worker.connection.send(None)
                else:
                    worker.process.kill()
            except OSError:  # it has gone already
                pass
        for worker in self.workers:
            stop_process(worker.process, 2.0)
            worker.connection.close()
        self.workers = []


def _work(connection: Duplex) -> None:
    """A worker (started by `run_worker`): check each piece it is handed until told to stop (or its pipe closes)."""
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            os._exit(0)  # nothing to flush; tearing down pandas and lxml would only cost time
        task, part = request
        try:
            answer: tuple[int, object, BaseException | None] = (
                task, check_piece(part) if part.kind in source_kinds() else _NOT_HERE, None
            )
        except Exception as error:  # noqa: BLE001 - raised again, in input order, in the main process
            answer = (task, None, _portable(error))
        try:
            try:
                connection.send(answer)
            except (pickle.PicklingError, TypeError, AttributeError) as error:
                connection.send((task, None, RuntimeError(f"a piece's result could not be sent back ({type(error).__name__})")))
        except OSError:  # the main process has gone
            return


def _portable(error: Exception) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError that names its type."""
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, this moment
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(error).__name__} in a worker process")
    return error
