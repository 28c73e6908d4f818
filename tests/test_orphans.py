"""SIGTERM, SIGHUP and SIGKILL to a run leave no process and no temporary folder behind (issue 22).

Each run is started in a session of its own, so every process it makes (the check workers, the Great Expectations
worker, multiprocessing's resource tracker) is found by its session id, field 6 of /proc/PID/stat, whatever its
parent is by then. Charts: text from the data reaches the SVG as visible escapes, and matplotlib says nothing raw.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from lxml import etree

from .conftest import TRIANGULATE, run_cli

# As tests/test_speed_contracts.py: enough input (about 135 MB) that --jobs 2 starts two check workers.
WORKERS = 3  # the GX worker and two check workers, besides the main process and the resource tracker
EXIT = {signal.SIGTERM: (143, "triangulate: terminated"), signal.SIGHUP: (129, "triangulate: hung up")}


def _environment(temporary: Path) -> dict[str, str]:
    """This test process's environment with TMPDIR set, and without the MPLCONFIGDIR an in-process chart earlier in
    the session left in it (a child given one makes no matplotlib folder of its own)."""
    return {**{k: v for k, v in os.environ.items() if k != "MPLCONFIGDIR"}, "TMPDIR": str(temporary)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("orphans") / "sample"
    made = run_cli("synth", "--out", str(out), "--seed", "1", "--years", "1", "--children", "240000", "--no-xlsx")
    assert made.returncode == 0, made.stderr
    return out


def _session(sid: int) -> dict[int, tuple[str, str]]:
    """Every live process (not a zombie) in session `sid`: pid -> (state, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            fields = text[text.rindex(")") + 2 :].split()  # the name in brackets may hold spaces
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found[int(entry.name)] = (fields[0], command)
    return found


def _busy_workers(sid: int, seconds: float = 0.5) -> int:
    """Spawned workers of the session that have had `seconds` of CPU: past their start, importing or checking."""
    busy = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid, (_, command) in _session(sid).items():
        if "spawn_main" not in command:
            continue
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        busy += (int(fields[11]) + int(fields[12])) / tick >= seconds  # utime + stime (fields 14 and 15)
    return busy


def _start(args: list[str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], Path, Path]:
    """The CLI in a session of its own with a fresh TMPDIR; stdout and stderr go to files (a pipe would be held open
    by any process left alive, and reading it would wait for them)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    stderr = tmp_path / "stderr.txt"
    with open(stderr, "wb") as errors:
        process = subprocess.Popen([*TRIANGULATE, *args], start_new_session=True, stdout=subprocess.DEVNULL,
                                   stderr=errors, env=_environment(temporary))  # fmt: skip
    return process, temporary, stderr


def _end(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Whatever happened, nothing of the run outlives the test: its process group is killed (the session's leader
    leads it, and the workers are in it), then the leader reaped."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _left_after(process: subprocess.Popen[bytes], timeout: float = 120) -> dict[int, tuple[str, str]]:
    """What is still alive in the run's session half a second after its main process ends."""
    process.wait(timeout=timeout)
    time.sleep(0.5)
    return _session(process.pid)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=lambda s: signal.Signals(s).name)
def test_a_signal_to_a_parallel_run_leaves_no_process_and_no_temporary_file(sample: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    process, temporary, stderr = _start(["run", str(sample / "release.yaml"), "--out", str(out), "--jobs", "2"], tmp_path)
    try:
        deadline = time.monotonic() + 120
        while _busy_workers(process.pid) < WORKERS:
            assert process.poll() is None and time.monotonic() < deadline, "the workers never started"
            time.sleep(0.02)
        before = _session(process.pid)
        assert len(before) >= WORKERS + 2, before  # the main process and the resource tracker besides
        os.kill(process.pid, signum)
        left = _left_after(process)
    finally:
        _end(process)
    assert left == {}, f"alive 0.5 s after the run ended: {left}"
    message = stderr.read_text()
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
        assert message == ""  # the workers and the resource tracker share this stderr: no traceback, no leak warning
    else:
        code, line = EXIT[signum]
        assert process.returncode == code, message
        assert message.strip() == line and "Traceback" not in message
    assert sorted(p.name for p in temporary.iterdir()) == []  # no triangulate-* folder, no pymp-*, nothing
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []  # no partial output


def test_a_terminal_that_hangs_up_ends_the_run_with_129_and_leaves_nothing(sample: Path, tmp_path: Path) -> None:
    """The real SIGHUP: the run's controlling terminal goes (its ssh connection drops), and every write to it fails
    from then on, the clean-up's included."""
    controller, terminal = pty.openpty()
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen([*TRIANGULATE, "run", str(sample / "release.yaml"), "--out", str(tmp_path / "out"), "--jobs", "2"],
                               stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the session's terminal
                               env=_environment(temporary))  # fmt: skip
    os.close(terminal)
    os.set_blocking(controller, False)
    try:
        deadline = time.monotonic() + 120
        while _busy_workers(process.pid) < WORKERS:
            assert process.poll() is None and time.monotonic() < deadline, "the workers never started"
            with contextlib.suppress(BlockingIOError):
                os.read(controller, 65536)  # what the run shows, read so that it never waits on a full terminal
            time.sleep(0.02)
        os.close(controller)  # the hang-up: the kernel sends SIGHUP to the session's leader, the run
        left = _left_after(process)
    finally:
        _end(process)
    assert process.returncode == 129
    assert left == {}
    assert sorted(p.name for p in temporary.iterdir()) == []
    assert not (tmp_path / "out").exists() or sorted(p.name for p in (tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: signal.Signals(s).name)
def test_a_signal_while_charts_are_drawn_removes_matplotlibs_folder(synthetic: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    previous = {name: f"previous {name}\n" for name in ("results.json", "report.html")}
    for name, text in previous.items():
        (out / name).write_text(text)
    process, temporary, stderr = _start(["run", str(synthetic / "release.yaml"), "--out", str(out), "--jobs", "1"], tmp_path)
    try:
        deadline = time.monotonic() + 300
        # The folder is made by the first chart, and matplotlib then builds its font cache there (a second or so):
        # a signal sent as soon as it appears lands while the charts are drawn, before any output is written.
        while not any(p.name.startswith("triangulate-matplotlib-") for p in temporary.iterdir()):
            assert process.poll() is None and time.monotonic() < deadline, "the run drew no chart"
            time.sleep(0.002)
        os.kill(process.pid, signum)
        left = _left_after(process)
    finally:
        _end(process)
    code, line = EXIT[signum]
    message = stderr.read_text()
    assert process.returncode == code and message.strip() == line, message
    assert left == {}
    assert sorted(p.name for p in temporary.iterdir()) == []
    assert {p.name: p.read_text() for p in out.iterdir()} == previous  # untouched, nothing half-written


DRAW = """
import sys, time
from triangulate.reports.charts import bars_svg
bars_svg(["a"], [1.0], "t", "y")
print("drawn", flush=True)
time.sleep(float(sys.argv[1]))
"""


def test_a_folder_left_by_a_killed_run_goes_with_the_next_chart_and_a_live_ones_stays(tmp_path: Path) -> None:
    environment = _environment(tmp_path)

    def drawer(seconds: float) -> subprocess.Popen[str]:
        process = subprocess.Popen([sys.executable, "-c", DRAW, str(seconds)], stdout=subprocess.PIPE, text=True,
                                   env=environment)  # fmt: skip
        assert process.stdout is not None and process.stdout.readline() == "drawn\n"
        return process

    killed = drawer(60)
    killed.kill()  # SIGKILL: no exit handler runs, so its folder stays
    killed.wait()
    (left,) = tmp_path.iterdir()
    alive = drawer(60)
    try:
        theirs = {p for p in tmp_path.iterdir()}
        assert left not in theirs and len(theirs) == 1  # the killed run's folder went; the live one's is there
        subprocess.run([sys.executable, "-c", DRAW, "0"], env=environment, check=True, capture_output=True, timeout=120)
        assert {p for p in tmp_path.iterdir()} == theirs  # a live process's folder is never taken
    finally:
        alive.kill()
        alive.wait()


CHILD = """
import sys, time
from triangulate.lifecycle import die_with_parent
die_with_parent(int(sys.argv[1]))
print("ready", flush=True)
time.sleep(60)
"""
PARENT = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
time.sleep(60)
"""


def test_a_worker_dies_with_its_parent_even_by_sigkill() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)  # fmt: skip
    try:
        assert parent.stdout is not None and parent.stdout.readline() == "ready\n"  # the child's line, on the same pipe
        assert len(_session(parent.pid)) == 2
        parent.kill()
        left = _left_after(parent)
    finally:
        _end(parent)
    assert left == {}  # the kernel killed the child with its parent: it would have slept a minute


def test_a_worker_whose_parent_has_gone_before_it_asked_exits_at_once() -> None:
    # Told a parent that is not its own: as if the parent had died, and the child been taken in by another, before
    # it could ask the kernel to be killed with it.
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-c", CHILD, str(os.getpid() + 1_000_000)], capture_output=True, text=True,
                           timeout=60)  # fmt: skip
    assert child.returncode == 1 and child.stdout == "" and child.stderr == ""
    assert time.monotonic() - started < 30  # not the minute it sleeps once started


HOSTILE = "\x1b[31m" + "".join(map(chr, range(0x20))) + "\x7f\x85\u202e\ud800 $1$ 中"
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _charts(text: str) -> list[str]:
    from triangulate.reports.charts import Series, WaterfallBar, bars_svg, releases_svg, trend_svg, waterfall_svg

    line = Series(f"source {text}", ((2020.5, 3.0, 2.0, 4.0), (2021.5, 5.0, 5.0, 5.0)))
    return [
        waterfall_svg([WaterfallBar(f"headline {text}", 10, True), WaterfallBar(text, -2, False)], f"title {text}"),
        trend_svg([line], f"title {text}", [(2020.5, f"2020-21 {text}"), (2021.5, "2021-22")]),
        releases_svg([Series(f"source {text}", ((0, 3.0, 3.0, 3.0), (1, 4.0, 4.0, 4.0)))], [f"release {text}", "r2"], text),
        bars_svg([f"LA {text}", "E09000001"], [3.0, 1.0], f"title {text}", f"cells {text}"),
    ]


def test_control_characters_in_labels_reach_the_svg_as_visible_escapes() -> None:
    for svg in _charts(HOSTILE):
        assert RAW.search(svg) is None  # nothing raw: no escape sequence, nothing XML 1.0 cannot hold
        # Well-formed XML (the prefix matplotlib's links use is declared by the page, so here by a wrapper).
        root = etree.fromstring(f'<page xmlns:xlink="http://www.w3.org/1999/xlink">{svg}</page>'.encode())
        texts = "".join(root.itertext())
        assert "\\x1b[31m\\x00\\x01" in texts and "\\x1f\\x7f\\x85\\u202e\\ud800 $1$ 中" in texts
        assert "\\t\\n\\x0b\\x0c\\r" in texts  # a tab or a line break from the data is shown, not obeyed


QUIET = """
import logging, warnings
from matplotlib.figure import Figure
from triangulate.reports.charts import Series, bars_svg, releases_svg

HOSTILE = "\\x1b[31m\\x00\\x07 中"  # a glyph missing from the font: matplotlib warns itself too
save = Figure.savefig

def noisy(self, *args, **kwargs):  # what matplotlib says through its logger and through the warnings module
    logging.getLogger("matplotlib.font_manager").warning("findfont: Font family %r not found", HOSTILE)
    warnings.warn(f"a warning quoting {HOSTILE}", UserWarning)
    return save(self, *args, **kwargs)

Figure.savefig = noisy
bars_svg([HOSTILE], [1.0], HOSTILE, HOSTILE)
releases_svg([Series(HOSTILE, ((0, 3.0, 3.0, 3.0),))], [HOSTILE], HOSTILE)
logging.getLogger("matplotlib").warning("outside a chart")
"""


def test_matplotlib_says_nothing_on_stderr_while_charts_are_drawn(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-W", "always", "-c", QUIET], capture_output=True, text=True, timeout=300,
                            env=_environment(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == "outside a chart\n"  # the logger speaks as before once no chart is being drawn


def test_a_signal_during_start_up_is_one_line_never_a_traceback() -> None:
    """SIGTERM at varied moments of `triangulate --help`: before the handlers are in, the default (death by the
    signal); from then on, through the imports, one line and 143; or too late to matter (exit 0)."""
    outcomes = []
    for delay in [n * 0.03 for n in range(20)]:
        process = subprocess.Popen([sys.executable, "-m", "triangulate", "--help"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        outcomes.append(process.returncode)
        assert (process.returncode, stderr.strip()) in {(-signal.SIGTERM, ""), (143, "triangulate: terminated"), (0, "")}, stderr
    assert 143 in outcomes, outcomes  # some landed in the imports
