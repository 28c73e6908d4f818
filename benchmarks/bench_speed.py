"""Speed benchmark (issue 16), side by side in one run, every command in its own process:

* one LA's CIN file (5,000 children): `triangulate check` wall time against `python -c "import great_expectations"`
  (target: at most 1.15 times);
* `triangulate --help` (target: under 0.3 s);
* one national year (701,000 CIN children in 155 files, SSDA903, NCMD, CSPRP): `triangulate run` with --jobs 1
  and --jobs 2, and the CIN source alone (`check --source cin`);
* ten national years (7 million CIN children, 1,550 files): `check --source cin` (target: under 1.5 GB, and 10x
  the children in at most 10x the time of one year).

For each: wall time, CPU (user + sys of the command and every worker it started, from
getrusage(RUSAGE_CHILDREN) of a wrapper process that runs only that command) over wall, the largest single
process's peak RSS (ru_maxrss) and the peak of the whole process tree's memory summed (PSS, sampled every 0.2 s).
Run by hand, not by the test suite: python benchmarks/bench_speed.py [--no-ten-years] [--only-la] [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Runs one command and reports what it cost, itself and every process it started (they are all reaped).
MEASURE = r"""
import json, os, resource, subprocess, sys, threading, time

def tree(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found

def memory(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0

peak, processes = [0], [0]
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

def sample():
    while child.poll() is None:
        pids = tree(child.pid)
        peak[0] = max(peak[0], sum(memory(p) for p in pids))
        processes[0] = max(processes[0], len(pids))
        time.sleep(0.2)

sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
_, stderr = child.communicate()
wall = time.perf_counter() - start
sampler.join()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
                  "tree_mb": peak[0] / 2**20, "processes": processes[0], "exit": child.returncode,
                  "stderr": stderr[-500:]}))
"""
TRIANGULATE = [sys.executable, "-m", "triangulate.cli"]


def measure(command: list[str]) -> dict[str, float]:
    output = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def median_of(command: list[str], repeat: int) -> tuple[dict[str, float], list[float]]:
    return middle_of([measure(command) for _ in range(repeat)])


def middle_of(runs: list[dict[str, float]]) -> tuple[dict[str, float], list[float]]:
    """The run of median wall time, and every run's wall time."""
    walls = [r["wall"] for r in runs]
    middle = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
    return middle, walls


def synth(folder: Path, children: int, years: int = 1) -> dict:
    from triangulate.synth import SynthSpec, write_synthetic

    started = time.perf_counter()
    spec = SynthSpec(seed=1, years=years, children_per_year=children, looked_after_per_year=children * 11 // 70, xlsx=False)
    made, wanted = folder / "bench-spec.json", json.dumps([children, years])
    if made.exists() and made.read_text() == wanted:  # --keep DIR: made by an earlier run
        manifest = json.loads((folder / "manifest.json").read_text())
    else:
        manifest = write_synthetic(folder, spec)
        made.write_text(wanted)
    print(f"  (synthetic data: {manifest['counts']['cin_children']:,} CIN children in "
          f"{len(list(folder.glob('cin/*/*.xml')))} files, {time.perf_counter() - started:.0f} s to make)", flush=True)  # fmt: skip
    return manifest


def line(label: str, result: dict[str, float], extra: str = "") -> None:
    cpu = result["cpu"] / result["wall"] if result["wall"] else 0
    print(f"{label:<52} {result['wall']:>7.2f} s  CPU {result['cpu']:>6.1f} s ({cpu:.2f} cores)  "
          f"peak RSS {result['max_rss_mb']:>5.0f} MB  all processes {result['tree_mb']:>5.0f} MB "
          f"({result['processes']} procs; exit {result['exit']}){extra}", flush=True)  # fmt: skip


def one_la(work: Path, repeat: int) -> None:
    folder = work / "la"
    synth(folder, 5_000 * 155)  # 155 LAs of 5,000 children: one file is one LA of 5,000
    file = sorted(folder.glob("cin/*/*.xml"))[0]
    children = file.read_text(encoding="utf-8").count("<Child>")
    import_runs, check_runs = [], []
    for _ in range(repeat):  # interleaved: a spell of load elsewhere hits the import and the check alike
        import_runs.append(measure([sys.executable, "-c", "import great_expectations"]))
        check_runs.append(measure([*TRIANGULATE, "check", "--source", "cin", str(file)]))
    imports, import_walls = middle_of(import_runs)
    check, check_walls = middle_of(check_runs)
    line('python -c "import great_expectations"', imports, f"  walls {', '.join(f'{w:.2f}' for w in import_walls)}")
    line(f"triangulate check, one LA ({children:,} children)", check, f"  walls {', '.join(f'{w:.2f}' for w in check_walls)}")
    pairs = sorted(c["wall"] / i["wall"] for i, c in zip(import_runs, check_runs, strict=True))
    print(f"{'check over the GX import (target <= 1.15)':<52} {check['wall'] / imports['wall']:>7.2f} x   "
          f"(each run's pair: {', '.join(f'{r:.2f}' for r in pairs)})", flush=True)  # fmt: skip


def help_time(repeat: int) -> None:
    result, walls = median_of([*TRIANGULATE, "--help"], max(repeat, 5))
    line("triangulate --help (target < 0.3 s)", result, f"  walls {', '.join(f'{w:.2f}' for w in walls)}")


def national(work: Path) -> float:
    folder = work / "national"
    synth(folder, 700_000)
    release = str(folder / "release.yaml")
    for jobs in ("1", "2"):
        line(f"triangulate run, national year, --jobs {jobs}", measure([*TRIANGULATE, "run", release, "--out", str(work / f"out{jobs}"), "--jobs", jobs]))
    files = [str(p) for p in sorted(folder.glob("cin/*/*.xml"))]
    seconds = {}
    for jobs in ("1", "2"):
        result = measure([*TRIANGULATE, "check", "--source", "cin", *files, "--jobs", jobs])
        seconds[jobs] = result["wall"]
        line(f"triangulate check --source cin, national, --jobs {jobs}", result)
    return seconds["2"]


def ten_years(work: Path, one_year: float) -> None:
    folder = work / "ten"
    synth(folder, 700_000, years=10)
    files = [str(p) for p in sorted(folder.glob("cin/*/*.xml"))]
    result = measure([*TRIANGULATE, "check", "--source", "cin", *files, "--jobs", "2"])
    line("triangulate check --source cin, ten years, --jobs 2", result)
    print(f"{'ten years over one year (target <= 10)':<52} {result['wall'] / one_year:>7.2f} x   "
          f"(memory target: all processes < 1,536 MB)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-ten-years", action="store_true", help="Skip the ten-year point (4 GB of data, minutes).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each short command (the median is shown).")
    parser.add_argument("--only-la", action="store_true", help="Only --help and the one-LA check.")
    parser.add_argument("--keep", type=Path, help="Make the data here and keep it (default: a temporary folder).")
    arguments = parser.parse_args()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"{dt.date.today()}  {platform.platform()}  Python {platform.python_version()}  "
          f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))})  {memory:.0f} GB RAM  "
          f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as temporary:
        work = arguments.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        help_time(arguments.repeat)
        one_la(work, arguments.repeat)
        if arguments.only_la:
            return
        one_year = national(work)
        if not arguments.no_ten_years:
            ten_years(work, one_year)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
