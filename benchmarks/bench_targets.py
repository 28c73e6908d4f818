"""Issue 16's reference ratios, side by side in one run: `triangulate check --source cin` of N children
against the single-core parsing floor (bench_cin_reader.py's standard-library ElementTree stream parse).

The issue's reference also applies the rules (vectorised pandas); this one only parses, so it is faster
than that reference and a ratio against it is an upper bound of the issue's ratio. Run by hand.
Usage: python benchmarks/bench_targets.py [--children N] [--data SYNTH_DIR] [--repeat K]
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


def check_seconds(folder: Path, jobs: int) -> float:
    files = [str(p) for p in sorted(folder.glob("cin/*/*.xml"))]
    command = [sys.executable, "-m", "triangulate.cli", "check", "--jobs", str(jobs), "--source", "cin", *files]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr.strip()}")
    return seconds


def report(folder: Path, repeat: int) -> None:
    runs: dict[str, list[float]] = {"reference": [], "check --jobs 1": [], "check --jobs 2": []}
    children = 0
    for _ in range(repeat):  # interleaved: a spell of load elsewhere hits each alike
        reference = run_reader("reference", folder, "")
        children = int(reference["children"])
        runs["reference"].append(reference["seconds"])
        runs["check --jobs 1"].append(check_seconds(folder, 1))
        runs["check --jobs 2"].append(check_seconds(folder, 2))
    best = {name: min(times) for name, times in runs.items()}
    print(f"{children:,} children; best of {repeat}; reference = stdlib stream parse only (single core)")
    for name, seconds in best.items():
        print(f"{name:<16} {seconds:>7.2f} s  {seconds / best['reference']:>5.2f}x the reference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--data", type=Path, help="an existing `triangulate synth` output")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    if args.data:
        report(args.data, args.repeat)
        return
    from triangulate.synth import SynthSpec, write_synthetic

    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(Path(tmp), SynthSpec(seed=1, years=1, children_per_year=args.children, xlsx=False))
        report(Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
