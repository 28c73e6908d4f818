"""Review of issue 22 ("faults of the real world"): what its first fixes left.

- A run waiting for a locked history stops at once for Ctrl-C, SIGTERM and SIGHUP (SQLite waits in C only a slice
  at a time); with standard error closed at start it still exits 143, and its waiting line never reaches stdout.
- A file name's bytes that decode to a control character, a line separator or a bidi override are escaped on the
  console even under a locale that cannot decode them (LC_ALL=C without UTF-8 mode).
- One escaping class for every output and the charts; paths printed by `run` and `synth` are escaped too.
- main(): an error raised while a signal unwinds exits as the signal says; only the system's refusals are exit 2.
- PostgreSQL connections carry TCP keepalives; a history file swapped for a FIFO is refused, never waited on; the
  codec error handlers are registered when first needed, not at import.
"""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click
import pytest
import sqlalchemy as sa
from triangulate.errors import ChecksFailed, Stopped, UsageError
from triangulate.history import engine as engines
from triangulate.history import open_history
from triangulate.history.engine import WAITING

from .conftest import TRIANGULATE, main_raising, run_cli
from .history_engines import sqlite_lock_held
from .postgres import new_database, postgres_disabled, postgres_url  # noqa: F401  (postgres_url: the fixture)
from .test_history import release
from .test_history_faults import _ncmd, held  # noqa: F401  (held: the fixture)

TERMINATED = "triangulate: terminated"


# --- 1 and 4: a wait for the history that signals end at once ------------------------------------------------


def _waiting_check(folder: Path, history: Path, *prefix: str) -> subprocess.Popen[bytes]:
    """`check --json -` recording in `history` (whose lock another process holds), allowed to wait 30 s."""
    _ncmd(folder)
    command = [*prefix, *TRIANGULATE, "check", "--source", "ncmd", str(folder / "n.csv"), "--history", str(history),
               "--json", "-"]  # fmt: skip
    environment = {**os.environ, engines.TIMEOUT_VARIABLE: "30"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)


def _terminated_within_a_second(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    time.sleep(1)  # well into the wait
    assert process.poll() is None, "the run did not wait for the history"
    process.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=60)
    took = time.monotonic() - sent
    assert process.returncode == 143, stderr.decode(errors="replace")
    assert took < 1.5, took  # not the 30 s SQLite would have waited in C before Python could run the handler
    return stdout, stderr


def test_sigterm_while_waiting_for_the_history_exits_143_at_once(held: Path, tmp_path: Path) -> None:  # noqa: F811
    process = _waiting_check(tmp_path, held)
    assert process.stderr is not None
    assert process.stderr.readline().decode().rstrip("\n") == WAITING  # it waits, and says so once
    stdout, stderr = _terminated_within_a_second(process)
    # One line besides the waiting line (and click's blank line, which ends a terminal's `^C`).
    assert stderr.decode().strip().splitlines() == [TERMINATED] and stdout == b""


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def test_with_stderr_closed_sigterm_still_exits_143_and_the_waiting_line_is_not_on_stdout(held: Path,  # noqa: F811
                                                                                          tmp_path: Path) -> None:  # fmt: skip
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to see when the run has opened the history")
    process = _waiting_check(tmp_path, held, "sh", "-c", 'exec "$@" 2>&-', "sh")  # exec: the pid is the run's own
    deadline = time.monotonic() + 60
    while not _has_open(process.pid, held):  # its stderr is closed: the history open tells that it waits
        assert process.poll() is None and time.monotonic() < deadline, "the run never opened the history"
        time.sleep(0.05)
    stdout, stderr = _terminated_within_a_second(process)
    assert stderr == b""  # the pipe was never its standard error
    assert WAITING.encode() not in stdout and stdout == b""  # `--json -`: nothing but the JSON may go there


@pytest.fixture
def alarm_stops() -> Iterator[type[Exception]]:
    """A SIGALRM in 0.5 s whose handler raises, as lifecycle.py's raise `Stopped`: whatever it interrupts must stop."""

    class Rang(Exception):
        pass

    def ring(_signum: int, _frame: FrameType | None) -> None:
        raise Rang

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        yield Rang
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_signal_handler_runs_while_a_writer_waits_for_the_lock(held: Path, alarm_stops: type[Exception],  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv(engines.TIMEOUT_VARIABLE, "30")
    started = time.monotonic()
    with pytest.raises(alarm_stops):
        open_history(str(held))
    assert time.monotonic() - started < 1.5
    assert capsys.readouterr().err == WAITING + "\n"


def test_a_signal_handler_runs_while_recognising_a_file_another_process_has_locked(
    tmp_path: Path, alarm_stops: type[Exception], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recognising reads the schema: a rollback-journal file under another process's EXCLUSIVE lock makes it wait."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    db.close()
    with sqlite_lock_held(path, "BEGIN EXCLUSIVE"):
        monkeypatch.setenv(engines.TIMEOUT_VARIABLE, "30")
        started = time.monotonic()
        with pytest.raises(alarm_stops):
            open_history(str(path), create=False)
        assert time.monotonic() - started < 1.5


def test_the_timeout_is_one_deadline_however_many_tries(held: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(engines.TIMEOUT_VARIABLE, "0.6")
    refused: list[float] = []
    real = engines._busy

    def counted(error: sqlite3.Error) -> bool:
        refused.append(time.monotonic())
        return real(error)

    monkeypatch.setattr(engines, "_busy", counted)
    started = time.monotonic()
    with pytest.raises(engines.HistoryError, match=r"gave up after waiting 0\.[6-9] s"):
        open_history(str(held))
    assert 0.55 < time.monotonic() - started < 1.2
    assert len(refused) >= 4  # waited in slices of at most 0.1 s, Python running between them


# --- 2: bytes the locale cannot decode, decoded for the console and escaped ---------------------------------------


def test_a_name_whose_bytes_decode_to_controls_is_escaped_on_a_c_locale_console(tmp_path: Path) -> None:
    name = b"a\xc2\x9bb\xe2\x80\xa8c\xe2\x80\xaed\xe9.csv"  # CSI, LINE SEPARATOR, RIGHT-TO-LEFT OVERRIDE, then no UTF-8
    path = os.fsencode(tmp_path) + b"/" + name
    environment = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0"}
    result = subprocess.run([*TRIANGULATE, "check", "--source", "ncmd", path], capture_output=True, env=environment,
                            timeout=120)  # fmt: skip
    assert result.returncode == 2 and result.stdout == b""
    line = result.stderr.rstrip(b"\n")
    assert b"\n" not in line and line.endswith(rb"a\x9bb\u2028c\u202ed\xe9.csv: file not found"), line
    assert not any(raw in result.stderr for raw in (b"\xc2\x9b", b"\xe2\x80\xa8", b"\xe2\x80\xae"))


def test_the_console_handler_escapes_what_a_run_decodes_to_and_the_file_handler_does_not() -> None:
    from triangulate.errors import encode_text, shown_name

    csi = b"x\xc2\x9by".decode("ascii", "surrogateescape")  # as LC_ALL=C hands the name over
    assert shown_name(csi) == r"x\x9by"
    assert shown_name(b"caf\xc3\xa9".decode("ascii", "surrogateescape")) == "café"  # printable: shown as it is
    assert encode_text(csi) == "x\x9by".encode()  # an output file (JSON) keeps the name exact, no backslash added


# --- 3: one escaping class ----------------------------------------------------------------------------------------


def test_the_charts_and_every_output_escape_one_class() -> None:
    from triangulate.reports import charts, wording
    from triangulate.text import UNSAFE, printable

    assert not hasattr(charts, "visible") and not hasattr(charts, "_UNPRINTABLE")  # no second definition
    for char in ("\u202e", "\u2066", "\u2069", "\u2028", "\x85", "\x1b"):
        assert UNSAFE.fullmatch(char), hex(ord(char))
    svg = charts.bars_svg(["LA \u2028\u202eevil"], [1.0], "title", "cells")
    assert "\u2028" not in svg and "\u202e" not in svg and r"\u2028\u202eevil" in svg  # U+2028 was drawn raw before
    assert wording.printable_keeping_lines("a\nb\tc\u202ed\re") == "a\nb\tc\\u202ed\\re" == printable("a\nb\tc\u202ed\re",
                                                                                                     keep="\n\t")  # fmt: skip


# --- 5: exit codes ------------------------------------------------------------------------------------------------


@pytest.fixture
def handlers_restored() -> Iterator[None]:
    """main() installs its handlers and, exiting for a signal, ignores them all: put them back for the next tests."""
    kept = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in kept.items():
            signal.signal(signum, handler)


def _raised_while_stopping(error: Exception) -> Exception:
    try:
        try:
            raise Stopped(signal.SIGTERM)
        except Stopped:
            raise error  # noqa: B904 - as a clean-up that fails on the signal's way out raises
    except Exception as raised:
        return raised


@pytest.mark.parametrize("error", [UsageError("a clean-up failed"), click.ClickException("a clean-up failed"),
                                   ChecksFailed(), OSError(errno.ENOSPC, "No space left on device"), ValueError("a bug")],
                         ids=["TriangulateError", "ClickException", "ChecksFailed", "OSError", "a bug"])  # fmt: skip
def test_an_error_raised_while_a_signal_unwinds_exits_as_the_signal_says(error: Exception, handlers_restored: None,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main_raising(_raised_while_stopping(error), monkeypatch) == 143
    assert capsys.readouterr().err == TERMINATED + "\n"


@pytest.mark.parametrize(("code", "exit_code"), [(errno.EBADF, 3), (errno.EINVAL, 3), (errno.EFAULT, 3), (None, 3),
                                                 (errno.EROFS, 2), (errno.EDQUOT, 2), (errno.EXDEV, 2), (errno.EACCES, 2)])  # fmt: skip
def test_only_the_systems_refusals_are_exit_2_and_a_misused_call_is_a_bug(code: int | None, exit_code: int,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    raised = OSError(code, os.strerror(code), "/o/r.json") if code is not None else OSError("no errno")
    assert main_raising(raised, monkeypatch) == exit_code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert ("internal error (OSError)" in err) == (exit_code == 3), err


# --- 6: paths the commands print ----------------------------------------------------------------------------------

EVIL = "out\x1b[31m\nFORGED\u202e"
SHOWN = "out\\x1b[31m\\nFORGED\\u202e"


def test_synth_prints_its_folder_escaped(tmp_path: Path) -> None:
    result = run_cli("synth", "--out", str(tmp_path / EVIL), "--children", "20", "--looked-after", "2", "--years", "1",
                     "--no-xlsx")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and result.stdout.count("\n") == 1
    assert f"synthetic data to {tmp_path / SHOWN} (" in result.stdout and f"{tmp_path / SHOWN}/manifest.json)" in result.stdout


def test_run_prints_the_outputs_it_wrote_escaped(clean_sample: Path, tmp_path: Path) -> None:
    result = run_cli("run", str(clean_sample / "release.yaml"), "--out", str(tmp_path / EVIL))
    assert result.returncode == 0, result.stderr
    wrote = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert len(wrote) == 1 and f"{tmp_path / SHOWN}/report.html" in wrote[0], result.stdout
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert not any(line.startswith("FORGED") for line in result.stdout.splitlines())


# --- 7: PostgreSQL keepalives -------------------------------------------------------------------------------------


@pytest.mark.skipif(postgres_disabled(), reason="TRIANGULATE_NO_POSTGRES=1")
def test_a_postgresql_connection_carries_tcp_keepalives_and_a_user_timeout(request: pytest.FixtureRequest) -> None:
    url = new_database(request.getfixturevalue("postgres_url"))
    with open_history(url) as history:
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
        with history._engine.connect() as connection:
            driver = connection.connection.dbapi_connection
            assert driver is not None
            # The very socket libpq talks through: what the kernel will do when the server stops answering.
            probe = socket.socket(fileno=os.dup(driver.pgconn.socket))
            try:
                assert probe.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
                assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 10
                assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == 5
                assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3
                assert probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 30_000
            finally:
                probe.close()
    chosen = engines.server_engine(sa.make_url(url + "?keepalives_idle=20"), "shown", engines.Waiter("shown", 1.0))
    try:
        with chosen.connect() as connection:
            assert connection.connection.dbapi_connection.info.get_parameters()["keepalives_idle"] == "20"  # the URL's
    finally:
        chosen.dispose()


# --- 8: nothing left that nothing uses ------------------------------------------------------------------------------


def test_the_dead_code_is_gone() -> None:
    from triangulate import errors
    from triangulate.history import store

    assert not hasattr(store, "require_history") and not hasattr(engines, "create_engine")
    assert not hasattr(errors, "STDERR_NAME") and not hasattr(errors, "EXIT_INTERRUPTED")


# --- 9: the codec error handlers, registered when first needed ------------------------------------------------------

LAZY = """
import codecs
import triangulate.cli, triangulate.errors as errors
for name in (errors.TEXT_ERRORS, errors.CONSOLE_ERRORS):
    try:
        codecs.lookup_error(name)
    except LookupError:
        pass
    else:
        raise SystemExit("registered at import: " + name)
errors.register_text_errors()
errors.register_text_errors()  # idempotent
print(codecs.lookup_error(errors.TEXT_ERRORS) is errors._text_errors, errors.text_errors() == errors.TEXT_ERRORS)
"""


def test_the_handlers_are_registered_when_first_needed_not_at_import() -> None:
    result = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.split() == ["True", "True"], result.stdout + result.stderr


def test_prepare_registers_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from triangulate import environment, errors

    registered: list[str] = []
    monkeypatch.setattr(errors, "_registered", False)
    monkeypatch.setattr(codecs, "register_error", lambda name, handler: registered.append(name))
    monkeypatch.setattr(environment, "_guard_console", lambda: None)
    environment.prepare(["--version"])
    assert registered == [errors.TEXT_ERRORS, errors.CONSOLE_ERRORS]


# --- 10: a history swapped for a FIFO ---------------------------------------------------------------------------------


def test_a_history_swapped_for_a_fifo_after_its_stat_is_refused_not_waited_on(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from triangulate.history import recognise

    regular = tmp_path / "h.db"
    with open_history(str(regular)) as history:
        history.record(release(), dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC))
    fifo = tmp_path / "fifo.db"
    os.mkfifo(fifo)
    looks_regular = os.stat(regular)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: looks_regular if Path(path) == fifo else real_stat(path, *a, **k))

    def hung(*_: object) -> None:
        raise TimeoutError("hung on a FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        found = recognise.sqlite_file(fifo, engines.Waiter("fifo.db", 1.0))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert (found.state, found.detail) == ("unreadable", "not a regular file (a FIFO)")


def test_the_reports_csv_side_files_escape_control_characters() -> None:
    from triangulate.reports.html import render_side_file
    from triangulate.reports.view_model import SideFile

    text = render_side_file(SideFile("check-failures", ("source", "record_id"), (("ncmd\x1b[31m", "EVIL2\x1b]0;pwned\x07"),)))
    assert "\x1b" not in text and "\x07" not in text
    assert "EVIL2\\x1b]0;pwned\\x07" in text  # shown, escaped, as the console and Markdown show it


def test_a_users_matplotlib_settings_do_not_reach_the_charts(clean_sample: Path, tmp_path: Path) -> None:
    """MPLBACKEND naming no backend was an internal error; MATPLOTLIBRC=/dev/zero grew the run without bound."""
    env = {**os.environ, "MPLBACKEND": "bogus", "MATPLOTLIBRC": "/dev/zero"}
    env.pop("MPLCONFIGDIR", None)
    done = subprocess.run([*TRIANGULATE, "run", str(clean_sample / "release.yaml"), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    assert "<svg" in (tmp_path / "o" / "report.html").read_text()


LATE_NCMD = "ncmd_case_id,child_id,la_code,sex,date_of_birth,date_of_death,social_care_status\nN1,,E06000001,M,2010-01-01,2020-06-01,LAC\n"


def test_a_signal_as_the_command_finishes_is_its_code_and_line_never_a_traceback(tmp_path: Path) -> None:
    """SIGTERM sent the moment a command prints its last line lands in the interpreter's shutdown, where a raised
    `Stopped` printed 'Exception ignored ... Traceback' and was swallowed (exit 0 or 1 in 5 of 10 trials)."""
    (tmp_path / "n.csv").write_text(LATE_NCMD)
    for _ in range(6):
        process = subprocess.Popen([*TRIANGULATE, "check", "--source", "ncmd", str(tmp_path / "n.csv"), "--reference-date",
                                    "2024-03-31", "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)  # fmt: skip
        assert process.stdout is not None
        lines = process.stdout.readline()  # the summary's first line: the command has done its work
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert lines and "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
        # -15: the signal came after Python's finalisation restored the default action (a shell says 143 too).
        assert process.returncode in (0, 1, 143, -signal.SIGTERM), (process.returncode, stderr)
        if process.returncode == 143:
            assert stderr.strip().splitlines()[-1] == "triangulate: terminated"
