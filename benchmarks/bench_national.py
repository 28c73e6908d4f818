"""National-scale benchmark (issue 5): `triangulate run` end to end on one synthetic national year.

One national year: 155 LA CIN census files with about 700,000 children, SSDA903 for about
110,000 looked-after children, about 3,600 NCMD deaths and about 400 SINs. A tenth of that is
run too, to see how time grows with input (target: 10x the input in at most 11x the time).
Each measurement runs in its own process. `parse` and `check` run in one process (the Great
Expectations suite too), so their peak RSS is theirs; `triangulate run` runs as the CLI does, with
--jobs 1 and --jobs 2 (issue 16): its CPU is user + sys of it and every worker process it started
(getrusage(RUSAGE_CHILDREN)) over wall time, "peak" the largest process's RSS and "all" the peak of
the memory of all its processes together (PSS), from benchmarks/bench_speed.py.
Usage: python benchmarks/bench_national.py [children ...]   (default: 70000 700000)
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
folder, step = Path(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
if step == "parse":
    from triangulate.config import load_config
    from triangulate.readers.cin import read_cin
    from triangulate.readers.extracts import read_extract
    from triangulate.readers.ssda903 import read_ssda903
    from triangulate.schemas import csprp, ncmd
    config = load_config(folder / "release.yaml")
    paths = {s.name: s.paths for s in config.sources}
    read_cin(paths["dfe_cin"]); read_ssda903(paths["dfe_cla"], {})
    read_extract(paths["ncmd"], ncmd.SPEC, {}); read_extract(paths["csprp"], csprp.SPEC, {})
    code = 0
elif step == "check":
    from triangulate.config import load_config
    from triangulate.pipeline.check import check_source
    for options in load_config(folder / "release.yaml").sources:
        check_source(options)
    code = 0
else:
    raise SystemExit(f"unknown step {step}")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "exit": code}))
"""


def step(folder: Path, which: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, "-c", STEP, str(folder), which], capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    from bench_speed import TRIANGULATE, measure
    from triangulate.synth import SynthSpec, write_synthetic

    print(f"{'CIN children':>12} {'CLA':>8} {'NCMD':>6} {'SINs':>5} {'input MB':>8} {'parse s':>8} {'check s':>8} "
          f"{'check/parse':>11} {'jobs':>4} {'run s':>6} {'CPU':>5} {'peak MB':>7} {'all MB':>6}")  # fmt: skip
    runs = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            manifest = write_synthetic(
                folder, SynthSpec(seed=1, years=1, children_per_year=size, looked_after_per_year=size * 11 // 70, xlsx=False)
            )
            generated = time.perf_counter() - started
            megabytes = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20
            parse, check = step(folder, "parse"), step(folder, "check")
            counts = manifest["counts"]
            extra = (check["seconds"] - parse["seconds"]) / parse["seconds"]
            for jobs in ("1", "2"):
                run = measure([*TRIANGULATE, "run", str(folder / "release.yaml"), "--out", str(folder / "out"), "--jobs", jobs])
                runs.append((size, jobs, run["wall"]))
                print(
                    f"{counts['cin_children']:>12,} {counts['ssda903_children']:>8,} {counts['ncmd_deaths']:>6,} "
                    f"{counts['csprp_notifications']:>5,} {megabytes:>8.0f} {parse['seconds']:>8.1f} {check['seconds']:>8.1f} "
                    f"{extra:>10.0%} {jobs:>4} {run['wall']:>6.1f} {run['cpu'] / run['wall']:>5.2f} {run['max_rss_mb']:>7.0f} "
                    f"{run['tree_mb']:>6.0f}   (exit {run['exit']}; synth {generated:.0f} s)",
                    flush=True,
                )
    for jobs in ("1", "2"):
        timed = [(size, seconds) for size, j, seconds in runs if j == jobs]
        if len(timed) >= 2:
            (small, small_s), (large, large_s) = timed[0], timed[-1]
            print(f"--jobs {jobs}: {large / small:.0f}x the input took {large_s / small_s:.1f}x the time")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [70_000, 700_000])
