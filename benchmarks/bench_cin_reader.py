"""Benchmark the CIN census reader against the parsing floor: a plain standard-library stream parse.

Run by hand, not in the test suite. The synth writes one census file per LA (155 of them) for one year.
Each reader runs in its own process, `--repeat` times interleaved (best time kept, so other load on the
machine counts less), and reports wall and CPU seconds, the ratio to the reference, and its peak RSS:

  reference  xml.etree.ElementTree.iterparse collecting the same fields into lists, then a DataFrame
             (one row per episode, the latest plan's dates; no line numbers: ElementTree has none)
  read_cin   triangulate.readers.cin.read_cin
  old        another version of readers/cin.py, given with --old (git show REV:readers/cin.py > old.py)

Usage: python benchmarks/bench_cin_reader.py [--children 200000] [--old old.py] [--data DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = r"""
import json, resource, sys, time
from pathlib import Path
files = sorted(Path(sys.argv[2]).glob("cin/*/*.xml"))

def reference(files):
    import xml.etree.ElementTree as ET
    import pandas as pd
    from triangulate.domain.dates import order_key
    from triangulate.readers.cin import CHILD_FIELDS, EPISODE_FIELDS, HEADER_FIELDS, PLAN_FIELDS, RAW_COLUMNS
    kinds = {**dict.fromkeys(CHILD_FIELDS, 1), **dict.fromkeys(EPISODE_FIELDS, 2), **dict.fromkeys(PLAN_FIELDS, 3),
             "ChildProtectionPlans": 4, "CINdetails": 5, "Child": 6, **dict.fromkeys(HEADER_FIELDS, 7)}
    episode_columns = (*EPISODE_FIELDS, *PLAN_FIELDS)
    columns = {name: [] for name in (*RAW_COLUMNS, "_file", "_child")}
    ordinal = 0
    for path in files:
        header, child, episode, plan, plans, episodes = {}, {}, {}, {}, [], []
        for _, element in ET.iterparse(path):  # "end" events
            kind = kinds.get(element.tag)
            if kind is None:
                continue
            if kind == 1:
                child[element.tag] = (element.text or "").strip() or None
            elif kind == 2:
                episode[element.tag] = (element.text or "").strip() or None
            elif kind == 3:
                plan[element.tag] = (element.text or "").strip() or None
            elif kind == 4:
                if plan.get("CPPstartDate"):
                    plans.append(plan)
                plan = {}
            elif kind == 5:
                if plans:  # the latest plan by start date
                    episode.update(max(plans, key=lambda p: order_key(p["CPPstartDate"])))
                episodes.append(episode)
                episode, plans = {}, []
            elif kind == 6:
                ordinal += 1
                for row in episodes or [{}]:
                    for name in HEADER_FIELDS:
                        columns[name].append(header.get(name))
                    for name in CHILD_FIELDS:
                        columns[name].append(child.get(name))
                    for name in episode_columns:
                        columns[name].append(row.get(name))
                    columns["_file"].append(path.name)
                    columns["_child"].append(ordinal)
                child, episodes = {}, []
                element.clear()
            elif not header.get(element.tag):
                header[element.tag] = (element.text or "").strip() or None
    frame = pd.DataFrame(columns)
    for name in (*HEADER_FIELDS, "_file"):
        frame[name] = frame[name].astype("category")
    return frame

if sys.argv[1] == "reference":
    read = reference
elif sys.argv[1] == "read_cin":
    from triangulate.readers.cin import read_cin as read
else:
    import importlib.util
    spec = importlib.util.spec_from_file_location("triangulate.readers._cin_old", sys.argv[3])
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    read = module.read_cin
import triangulate.readers.cin  # imports (pandas, lxml) are not timed
wall, cpu = time.perf_counter(), time.process_time()
frame = read(files)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
# VmHWM, not ru_maxrss: a child process's ru_maxrss starts at its parent's (the synth's) size.
status = Path("/proc/self/status")
hwm = [line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM")] if status.exists() else []
peak_kb = int(hwm[0]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": wall, "cpu": cpu, "rows": len(frame), "children": int(frame["_child"].nunique()),
                  "peak_mb": peak_kb / 1024}))
"""


def run(step: str, folder: Path, old: str) -> dict[str, float]:
    args = [sys.executable, "-c", STEP, step, str(folder), *([old] if old else [])]
    output = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def report(folder: Path, repeat: int, old: str) -> None:
    files = sorted(folder.glob("cin/*/*.xml"))
    size = sum(path.stat().st_size for path in files) / 2**20
    steps = [
        ("reference", "stdlib ElementTree reference"),
        ("read_cin", "read_cin"),
        *([("old", "read_cin, old version")] if old else []),
    ]
    runs: dict[str, list[dict[str, float]]] = {step: [] for step, _ in steps}
    for _ in range(repeat):  # interleaved, so a spell of load elsewhere hits every reader alike
        for step, _ in steps:
            runs[step].append(run(step, folder, old))
    results = {
        step: {
            **min(done, key=lambda r: r["seconds"]),
            "cpu": min(r["cpu"] for r in done),
            "peak_mb": max(r["peak_mb"] for r in done),
        }
        for step, done in runs.items()
    }
    floor = results["reference"]
    print(f"{floor['children']:,} children, {floor['rows']:,} rows, {len(files)} files, {size:,.0f} MB of XML; best of {repeat}")
    print(f"{'reader':<30} {'wall s':>7} {'cpu s':>7} {'wall/ref':>9} {'cpu/ref':>8} {'peak MB':>8}")
    for step, label in steps:
        result = results[step]
        print(
            f"{label:<30} {result['seconds']:>7.2f} {result['cpu']:>7.2f} {result['seconds'] / floor['seconds']:>9.2f}"
            f" {result['cpu'] / floor['cpu']:>8.2f} {result['peak_mb']:>8.0f}"
        )
    if old:
        new, before = results["read_cin"], results["old"]
        print(f"old/new: {before['seconds'] / new['seconds']:.2f}x wall, {before['cpu'] / new['cpu']:.2f}x cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--old", default="", help="a copy of another readers/cin.py to compare")
    parser.add_argument("--data", type=Path, help="an existing `triangulate synth` output to read instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    old = str(Path(args.old).resolve()) if args.old else ""
    if args.data:
        report(args.data, args.repeat, old)
        return
    from triangulate.synth import SynthSpec, write_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        write_synthetic(Path(tmp), SynthSpec(seed=1, years=1, children_per_year=args.children, xlsx=False))
        print(f"synth: {time.perf_counter() - started:.0f} s")
        report(Path(tmp), args.repeat, old)


if __name__ == "__main__":
    main()
