"""Ctrl-C (exit 130) or SIGTERM (143) ends a run with one line and leaves the previous outputs as they were, and no temporary file;
progress shows only on a terminal. Workers, temporary folders and the other signals: tests/test_orphans.py."""

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from triangulate.errors import Stopped

TRIANGULATE = [sys.executable, "-m", "triangulate.cli"]


def test_ctrl_c_exits_130_and_keeps_the_previous_outputs(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    previous = {name: f"previous {name}\n" for name in ("results.json", "junit.xml", "summary.md", "report.html")}
    for name, text in previous.items():
        (out / name).write_text(text)
    process = subprocess.Popen(
        [*TRIANGULATE, "run", str(synthetic / "release.yaml"), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(3)  # imports take well under a second; the whole run takes several
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "triangulate: interrupted" and "Traceback" not in stderr
    assert {p.name: p.read_text() for p in out.iterdir()} == previous  # untouched, and no .part files left


def test_progress_shows_on_a_terminal_and_not_in_a_pipe(synthetic: Path, tmp_path: Path) -> None:
    # Progress shows once a run has taken 2 s; the sample reaches "writing outputs" at about 2 s on an idle machine, so
    # the line is asked for at once (TRIANGULATE_PROGRESS_DELAY=0), here and for the pipe, which must still show nothing.
    at_once = {**os.environ, "TRIANGULATE_PROGRESS_DELAY": "0"}
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*TRIANGULATE, "run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "tty")],
        stdout=subprocess.DEVNULL, stderr=terminal, env=at_once,
    )  # fmt: skip
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closes when the run ends
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=300)
    os.close(controller)
    assert process.returncode == 1
    # Which steps show depends on how long each takes (nothing shows in the first 2 s); the last always does.
    assert b"triangulate: step" in shown and b"writing outputs" in shown
    piped = subprocess.run(
        [*TRIANGULATE, "run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "pipe")],
        capture_output=True, text=True, timeout=300, env=at_once,
    )  # fmt: skip
    assert piped.returncode == 1 and "step" not in piped.stderr


# The run's own code, with each output's write slowed so a signal sent from outside surely lands
# inside the write window (between the first temporary file and the renames).
SLOW_WRITES = """
import sys, time
from triangulate.pipeline import atomic
from triangulate.cli import main
write = atomic._write_through

def slow(handle, text):
    write(handle, text)
    time.sleep(0.25)

atomic._write_through = slow
main(sys.argv[1:])
"""


def _holds_temporary(pid: int, out: Path) -> bool:
    """The run has a temporary output file in `out` open: unnamed (O_TMPFILE, `out/#INODE (deleted)`) or `.part`."""
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            file = Path(os.readlink(fd).removesuffix(" (deleted)"))
        except OSError:
            continue
        if file.parent == out.resolve() and (file.name.startswith("#") or file.name.endswith(".part")):
            return True
    return False


def test_sigterm_while_writing_leaves_no_temporary_file_and_the_previous_outputs(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    previous = {name: f"previous {name}\n" for name in ("results.json", "junit.xml", "summary.md", "report.html")}
    for name, text in previous.items():
        (out / name).write_text(text)
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITES, "run", str(synthetic / "release.yaml"), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not _holds_temporary(process.pid, out):
        assert process.poll() is None and time.monotonic() < deadline, "the run never began to write"
        time.sleep(0.001)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr  # 128 + SIGTERM, whether the writer deferred it or not
    assert stderr.strip() == "triangulate: terminated" and "Traceback" not in stderr
    assert {p.name: p.read_text() for p in out.iterdir()} == previous  # untouched, and no .part files left


def test_a_signal_while_writing_removes_every_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triangulate.pipeline import atomic

    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"old {name}")
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    write = atomic._write_through

    def write_then_signal(handle: int, text: str) -> None:
        write(handle, text)
        if text == "new b.txt":  # a.txt and b.txt exist as temporary files now; c.txt not yet
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(atomic, "_write_through", write_then_signal)
    with pytest.raises(Stopped) as stopped:
        atomic.write_all_atomic({tmp_path / name: f"new {name}" for name in ("a.txt", "b.txt", "c.txt")})
    assert stopped.value.signum == signal.SIGTERM and stopped.value.exit_code == 143
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {n: f"old {n}" for n in ("a.txt", "b.txt", "c.txt")}
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_ctrl_c_during_the_renames_waits_for_all_of_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from triangulate.pipeline import atomic, swap

    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"old {name}")
    exchange = swap.exchange

    def swap_then_interrupt(folder: int, first: str, second: str) -> bool:
        swapped = exchange(folder, first, second)
        if second == "a.txt":
            os.kill(os.getpid(), signal.SIGINT)
        return swapped

    monkeypatch.setattr(swap, "exchange", swap_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_all_atomic({tmp_path / name: f"new {name}" for name in ("a.txt", "b.txt", "c.txt")})
    # The interruption is raised once the set is whole: every output new, no temporary file.
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {n: f"new {n}" for n in ("a.txt", "b.txt", "c.txt")}
