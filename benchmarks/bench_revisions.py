"""`triangulate revisions` on two national LA-level vintages of 100,000 rows each, against a plain pandas
reference measured in the same run (read both CSVs, merge on the keys, count the cells that differ).

    python benchmarks/bench_revisions.py [ROWS]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from triangulate.domain.geography import la_lookup

KEYS = ["time_period", "time_identifier", "geographic_level", "country_code", "region_code", "new_la_code", "characteristic"]


def _vintages(rows: int, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    las = la_lookup()["new_la_code"].to_numpy()
    per_la = max(1, rows // (len(las) * 10))
    frame = pd.DataFrame(
        {
            "time_period": np.repeat(np.arange(2015, 2025), len(las) * per_la).astype(str),
            "time_identifier": "Reporting year",
            "geographic_level": "Local authority",
            "country_code": "E92000001",
            "region_code": "E12000001",
            "new_la_code": np.tile(np.repeat(las, per_la), 10),
            "la_name": "x",
            "characteristic": np.tile([f"group {n}" for n in range(per_la)], len(las) * 10),
        }
    )
    frame["number"] = rng.integers(0, 2000, len(frame)).astype(str)
    frame["rate"] = rng.integers(0, 300, len(frame)).astype(str)
    newer = frame.copy()
    revised = rng.random(len(frame)) < 0.05
    newer.loc[revised, "number"] = (newer.loc[revised, "number"].astype(int) + 1).astype(str)
    suppressed = rng.random(len(frame)) < 0.01
    newer.loc[suppressed, "rate"] = "c"
    old, new = folder / "old.csv", folder / "new.csv"
    frame.to_csv(old, index=False)
    newer.to_csv(new, index=False)
    return old, new


def _reference(old: Path, new: Path) -> int:
    a = pd.read_csv(old, dtype=str, keep_default_na=False)
    b = pd.read_csv(new, dtype=str, keep_default_na=False)
    merged = a.merge(b, on=KEYS, suffixes=("_old", "_new"))
    return int(sum((merged[f"{c}_old"] != merged[f"{c}_new"]).sum() for c in ("number", "rate")))


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        old, new = _vintages(rows, Path(folder))
        started = time.perf_counter()
        changed = _reference(old, new)
        reference = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "triangulate.cli", "revisions", str(old), str(new), "--json", f"{folder}/r.json"],
                       check=False, capture_output=True)  # fmt: skip
        tool = time.perf_counter() - started
        import json

        listed = len(json.loads(Path(f"{folder}/r.json").read_text())["cells"])
    print(f"two vintages of {rows:,} rows: reference (pandas read + merge + compare) {reference:.2f} s, "
          f"`triangulate revisions` end to end {tool:.2f} s ({tool / reference:.1f}x); cells changed {changed:,}, listed {listed:,}")


if __name__ == "__main__":
    main()
