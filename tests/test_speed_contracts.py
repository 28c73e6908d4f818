"""Speed (issue 16) changes nothing that is reported: outputs do not depend on --jobs, commands that do not
validate never import Great Expectations, and whatever happens to the GX worker its checks are crashed, never
passed. Timings are measured by benchmarks/bench_speed.py, not here."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from triangulate.canonical.registry import SourceOptions
from triangulate.config import load_config
from triangulate.expectations import run_suite, suite_check_ids
from triangulate.expectations.worker import SuiteWorker
from triangulate.pipeline.parallel import check_sources, plan_workers

from .conftest import TRIANGULATE, run_cli

RUN_TIME = re.compile(rb'<time class="run-at" datetime="[^"]*">[^<]*</time>')
# Runs the CLI in a fresh interpreter and says, at exit, whether this (the main) process imported GX.
GX_AT_EXIT = """
import sys
from triangulate.cli import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    code = done.code
print("GX", "great_expectations" in sys.modules, "EXIT", code, file=sys.stderr)
"""


def _gx_imported(*args: str, cwd: Path) -> tuple[bool, int]:
    result = subprocess.run([sys.executable, "-c", GX_AT_EXIT, *args], capture_output=True, text=True, timeout=600, cwd=cwd)
    _, imported, _, code = result.stderr.strip().splitlines()[-1].split()
    return imported == "True", int(code)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One year of 240,000 CIN children in 155 files, about 135 MB: enough input that --jobs 2 starts two workers."""
    out = tmp_path_factory.mktemp("speed") / "sample"
    made = run_cli("synth", "--out", str(out), "--seed", "1", "--years", "1", "--children", "240000", "--no-xlsx")
    assert made.returncode == 0, made.stderr
    return out


def test_run_writes_the_same_bytes_with_one_job_or_two(sample: Path, tmp_path: Path) -> None:
    config = load_config(sample / "release.yaml")
    assert plan_workers(config.sources, 2) == 2  # --jobs 2 really checks the files on two worker processes
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = run_cli("run", str(sample / "release.yaml"), "--out", str(out), "--jobs", jobs)
        assert result.returncode == 1, result.stderr  # the sample carries injected defects
        outputs[jobs] = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    # The only difference allowed: when each run started (nothing fixes it for tests): results.json `run_at`,
    # results.sarif `startTimeUtc` and the report's "Run <time>" line.
    for files in outputs.values():
        for name, field in (("results.json", b'"run_at": '), ("results.sarif", b'"startTimeUtc": ')):
            lines = files[Path(name)].splitlines(keepends=True)
            kept = [line for line in lines if not line.lstrip().startswith(field)]
            assert len(kept) == len(lines) - 1, name
            files[Path(name)] = b"".join(kept)
        files[Path("report.html")] = RUN_TIME.sub(b"", files[Path("report.html")])
    assert outputs["1"].keys() == outputs["2"].keys() and len(outputs["1"]) >= 5
    for name, content in outputs["1"].items():
        assert content == outputs["2"][name], name


def test_pieces_on_worker_processes_merge_to_one_check_even_across_files(synthetic: Path, tmp_path: Path) -> None:
    """Forced onto workers in small pieces, with one LA's census twice (so duplicate.record spans two pieces)."""
    cin = sorted(synthetic.glob("cin/*/*.xml"))
    twice = tmp_path / "again" / cin[3].name
    twice.parent.mkdir()
    shutil.copy(cin[3], twice)
    sources = [*load_config(synthetic / "release.yaml").sources, SourceOptions("twice", "cin", (*cin[:40], twice))]
    one = [p.result() for p in check_sources(sources, 1, None)]
    many = [p.result() for p in check_sources(sources, 2, None, bytes_per_worker=1)]
    assert plan_workers(sources, 2, bytes_per_worker=1) == 2
    for alone, pieced in zip(one, many, strict=True):
        assert alone.result == pieced.result
        pd.testing.assert_frame_equal(alone.deaths, pieced.deaths)
    assert one[-1].result.outcome("duplicate.record").failed > 0


def test_commands_that_do_not_validate_never_import_great_expectations(tmp_path: Path, synthetic: Path) -> None:
    table = Path(__file__).parent / "data" / "dfe_cla_national_ceased_2020_2024.csv"
    from triangulate.history.store import open_history

    open_history(f"sqlite:///{tmp_path / 'h.db'}").close()  # `history list` reads an existing history only
    for args in (
        ["--help"],
        ["--version"],
        ["run", "--help"],
        ["synth", "--out", str(tmp_path / "s"), "--children", "300", "--years", "1", "--no-xlsx"],
        ["revisions", str(table), str(table)],
        ["history", "list", f"sqlite:///{tmp_path / 'h.db'}"],
    ):
        imported, code = _gx_imported(*args, cwd=tmp_path)
        assert code == 0 and not imported, args
    # A command that validates imports it only in its worker process, never in the main one.
    imported, code = _gx_imported("check", "--source", "csprp", str(synthetic / "csprp" / "sins.csv"), cwd=tmp_path)
    assert code == 1 and not imported


def test_jobs_must_be_a_whole_number_of_at_least_one(synthetic: Path) -> None:
    for bad in ("0", "-1", "two"):
        result = run_cli("check", "--source", "csprp", str(synthetic / "csprp" / "sins.csv"), "--jobs", bad)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("triangulate: error:") and "--jobs" in result.stderr
    result = run_cli("run", str(synthetic / "release.yaml"), "--jobs", "0")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_an_expectation_that_raises_is_crashed_not_passed() -> None:
    """A real fault: a frame without the suite's columns makes GX raise inside every expectation."""
    frame = pd.DataFrame({"unrelated": [1, 2]})
    expected = dict.fromkeys(suite_check_ids("death_records"), "raised MetricResolutionError")
    assert run_suite(frame, "death_records").crashed == expected
    with SuiteWorker() as worker:
        findings = worker.submit(frame, "death_records").result()
    assert findings.crashed == expected and findings.failing_rows == {}


def test_a_worker_that_dies_is_reported_as_crashed_checks_and_reaped() -> None:
    worker = SuiteWorker().start()
    pending = worker.submit(pd.DataFrame({"age_at_death": [3]}), "death_records")
    os.kill(worker.pid, signal.SIGKILL)
    started = time.monotonic()
    findings = pending.result()
    assert time.monotonic() - started < 30
    assert set(findings.crashed) == set(suite_check_ids("death_records")) and not findings.failing_rows
    assert all("stopped (exit code -9)" in detail for detail in findings.crashed.values())
    process = worker.process
    worker.close()
    assert process is not None and process.exitcode is not None  # reaped, not a zombie


def test_a_suite_that_times_out_fails_the_check_run(synthetic: Path, tmp_path: Path) -> None:
    result = run_cli("check", "--source", "csprp", str(synthetic / "csprp" / "sins.csv"), "--json", str(tmp_path / "c.json"),
                     env={"TRIANGULATE_SUITE_TIMEOUT": "0.01"})  # fmt: skip
    assert result.returncode == 1, result.stderr
    checks = {c["id"]: c for c in json.loads((tmp_path / "c.json").read_text())["checks"]}
    for check_id in suite_check_ids("death_records"):
        assert checks[check_id]["status"] == "crashed", checks[check_id]
        assert "took longer than 0.01 s" in checks[check_id]["detail"]


# Loaded by every interpreter of the run, the main process and each worker: sockets refused and every attempt
# to use the network written down, and each process that started noted.
SITECUSTOMIZE = """
import os, socket
LOG = os.environ["NET_LOG"]
with open(os.path.join(LOG, f"started-{os.getpid()}"), "w"):
    pass

def attempt(*args, **kwargs):
    with open(os.path.join(LOG, f"attempt-{os.getpid()}"), "a") as log:
        log.write(repr(args)[:80] + "\\n")
    raise OSError("network blocked by the test")

class NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        raise OSError("sockets blocked by the test")
    connect = connect_ex = sendto = sendmsg = attempt

socket.socket = NoSocket
socket.create_connection = socket.getaddrinfo = socket.gethostbyname = attempt
"""


def test_workers_make_no_network_attempt_and_none_outlives_the_run(sample: Path, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (tmp_path / "log").mkdir()
    mark = uuid.uuid4().hex
    environment = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "NET_LOG": str(tmp_path / "log"), "SPEED_MARK": mark}
    result = subprocess.run([*TRIANGULATE, "run", str(sample / "release.yaml"), "--out", str(tmp_path / "out"),
                             "--jobs", "2"], capture_output=True, text=True, timeout=600, env=environment)  # fmt: skip
    assert result.returncode == 1, result.stderr
    logs = sorted(p.name for p in (tmp_path / "log").iterdir())
    assert [name for name in logs if name.startswith("attempt")] == []
    assert len([name for name in logs if name.startswith("started")]) >= 4  # main, GX worker, two file workers
    assert _processes_marked(mark) == []


def test_ctrl_c_stops_every_worker(sample: Path, tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    process = subprocess.Popen([*TRIANGULATE, "run", str(sample / "release.yaml"), "--out", str(tmp_path / "out"),
                                "--jobs", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "SPEED_MARK": mark})  # fmt: skip
    deadline = time.monotonic() + 120
    # Looked at without the grace period: with it, each look waited 5 s while any process was found, and a run whose
    # workers live less than that was never seen with all four.
    while len(_processes_marked(mark, grace=0)) < 4:  # main, GX worker, two file workers (and the resource tracker)
        assert process.poll() is None and time.monotonic() < deadline, "the workers never started"
        time.sleep(0.05)
    # Known, left for later: a worker seen here may still be in multiprocessing's spawn bootstrap (reading its
    # preparation data, before any of our code runs); a Ctrl-C then can make it print an EOFError traceback (seen
    # once in three full runs). Give the workers a moment to be ours; every worker must still be stopped.
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130 and stderr.strip() == "triangulate: interrupted", stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert _processes_marked(mark) == []


def _processes_marked(mark: str, grace: float = 5.0) -> list[int]:
    """Processes (of this user) whose environment carries `mark`: a run's own and its workers'."""
    deadline = time.monotonic() + grace
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if f"SPEED_MARK={mark}".encode() in (entry / "environ").read_bytes():
                        status = (entry / "status").read_text()
                        if "\nState:\tZ" not in status or grace == 0:
                            found.append(int(entry.name))
                except OSError:
                    continue
        if not found or grace == 0 or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
