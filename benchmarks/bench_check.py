"""Benchmark `check` on synthetic CIN census data: records/s, peak RSS, and check vs bare parse.

Run by hand (`make bench`), not in the test suite. Each measurement runs in its own process so
peak RSS is that step's own. Usage: python benchmarks/bench_check.py [children ...]
"""

from __future__ import annotations

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
start = time.perf_counter()
if sys.argv[1] == "parse":
    from triangulate.readers.cin import read_cin
    frame = read_cin(files)
    children = int(frame["_child"].nunique())
else:
    from triangulate.canonical.registry import SourceOptions
    from triangulate.pipeline.check import check_source
    children = check_source(SourceOptions("cin", "cin", tuple(files))).result.records
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "children": children, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(step: str, folder: Path) -> dict[str, float]:
    output = subprocess.run([sys.executable, "-c", STEP, step, str(folder)], capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    from triangulate.synth import SynthSpec, write_synthetic

    print(f"{'children':>10} {'parse s':>8} {'check s':>8} {'records/s':>10} {'check/parse':>11} {'peak MB':>8}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            write_synthetic(folder, SynthSpec(seed=1, years=1, children_per_year=size, xlsx=False))
            generated = time.perf_counter() - started
            parse = measure("parse", folder)
            check = measure("check", folder)
            extra = (check["seconds"] - parse["seconds"]) / parse["seconds"]
            print(
                f"{check['children']:>10} {parse['seconds']:>8.1f} {check['seconds']:>8.1f} "
                f"{check['children'] / check['seconds']:>10.0f} {extra:>+10.0%} {check['peak_mb']:>8.0f}"
                f"   (synth {generated:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
