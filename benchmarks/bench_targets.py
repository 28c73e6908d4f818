"""Issue 16's reference ratios, side by side in one run, against single-core parsing floors:

  reference      bench_cin_reader.py's standard-library ElementTree stream parse of the CIN files
  check          `triangulate check --source cin` of the same files, --jobs 1 and --jobs 2
  reference all  that CIN parse, then pandas.read_csv of every other source of release.yaml (one process)
  run            `triangulate run release.yaml` (every source, reconciliation, every output), --jobs 1 and 2

The issue's reference also applies the rules (vectorised pandas); these only parse, so they are faster
than that reference and a ratio against them is an upper bound of the issue's ratio. Run by hand.
Usage: python benchmarks/bench_targets.py [--children N] [--data SYNTH_DIR] [--repeat K] [--no-run]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_cin_reader import run as run_reader


def triangulate_seconds(*args: str) -> float:
    """Wall seconds of one `triangulate` command (exit 0 or 1: the synthetic data carries defects)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "triangulate.cli", *args], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


def check_seconds(folder: Path, jobs: int) -> float:
    files = [str(p) for p in sorted(folder.glob("cin/*/*.xml"))]
    return triangulate_seconds("check", "--jobs", str(jobs), "--source", "cin", *files)


OTHER_SOURCES = r"""
import sys, time
from pathlib import Path
import pandas as pd
import yaml
folder = Path(sys.argv[1])
config = yaml.safe_load((folder / "release.yaml").read_text())
paths = []
for source in config["sources"].values():
    if source["kind"] != "cin":
        paths += [source["path"]] if isinstance(source["path"], str) else source["path"]
started = time.perf_counter()
rows = sum(len(pd.read_csv(folder / path, dtype=str, keep_default_na=False)) for path in paths)
print(time.perf_counter() - started, rows)
"""


def reference_all_seconds(folder: Path) -> float:
    """The CIN parse floor plus a plain pandas read of every other source's CSV files."""
    cin = run_reader("reference", folder, "")["seconds"]
    done = subprocess.run([sys.executable, "-c", OTHER_SOURCES, str(folder)], capture_output=True, text=True, check=True)
    return cin + float(done.stdout.split()[0])


def run_seconds(folder: Path, jobs: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        return triangulate_seconds("run", str(folder / "release.yaml"), "--out", out, "--jobs", str(jobs))


def print_ratios(title: str, runs: dict[str, list[float]], reference: str) -> None:
    best = {name: min(times) for name, times in runs.items()}
    print(title)
    for name, seconds in best.items():
        every = ", ".join(f"{t:.2f}" for t in runs[name])
        print(f"  {name:<16} {seconds:>7.2f} s  {seconds / best[reference]:>5.2f}x the {reference}   (every run: {every} s)")


def report(folder: Path, repeat: int, with_run: bool) -> None:
    runs: dict[str, list[float]] = {"reference": [], "check --jobs 1": [], "check --jobs 2": []}
    whole: dict[str, list[float]] = {"reference all": [], "run --jobs 1": [], "run --jobs 2": []}
    children = 0
    for _ in range(repeat):  # interleaved: a spell of load elsewhere hits each alike
        reference = run_reader("reference", folder, "")
        children = int(reference["children"])
        runs["reference"].append(reference["seconds"])
        runs["check --jobs 1"].append(check_seconds(folder, 1))
        runs["check --jobs 2"].append(check_seconds(folder, 2))
        if with_run:
            whole["reference all"].append(reference_all_seconds(folder))
            whole["run --jobs 1"].append(run_seconds(folder, 1))
            whole["run --jobs 2"].append(run_seconds(folder, 2))
    print(f"{children:,} CIN children; best of {repeat}; references parse only, on a single core")
    print_ratios("CIN files:", runs, "reference")
    if with_run:
        print_ratios("every source of release.yaml:", whole, "reference all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--data", type=Path, help="an existing `triangulate synth` output")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-run", action="store_true", help="only the CIN check, not `run` of every source")
    args = parser.parse_args()
    if args.data:
        report(args.data, args.repeat, not args.no_run)
        return
    from triangulate.synth import SynthSpec, write_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(Path(tmp), SynthSpec(seed=1, years=1, children_per_year=args.children, xlsx=False))
        report(Path(tmp), args.repeat, not args.no_run)


if __name__ == "__main__":
    main()
