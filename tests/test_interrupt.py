"""Ctrl-C ends a run with exit 130 and leaves the previous outputs as they were; progress shows only on a terminal."""

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

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
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*TRIANGULATE, "run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "tty")],
        stdout=subprocess.DEVNULL, stderr=terminal,
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
    assert b"triangulate: step" in shown and b"reconciling" in shown
    piped = subprocess.run(
        [*TRIANGULATE, "run", str(synthetic / "release.yaml"), "--out", str(tmp_path / "pipe")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert piped.returncode == 1 and "step" not in piped.stderr
