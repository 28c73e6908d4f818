"""Recording a national-scale run in the history, against writing the same release's results.json, in one run.

A national year (700,000 CIN children) has on the order of 60,000 failing record ids across the checks (the
census's unborn and 18+ deaths, every LA's defects) and 8,000 comparisons (England, regions and LAs for four
measures over several years). The release is built directly from the model, so the time is the history's alone.

    python benchmarks/bench_history.py [FAILING_IDS] [COMPARISONS]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from triangulate.domain.intervals import Interval
from triangulate.history import open_history
from triangulate.model.checks import CheckOutcome, InputFile, SourceResult
from triangulate.model.reconciliation import Comparison, ReconcileResult, SeriesPoint
from triangulate.model.release import Provenance, Release

FY = "2023-04-01/2024-03-31"


def national_release(failing_ids: int, comparisons: int) -> Release:
    checks_per_source = 20
    per_check = failing_ids // (4 * checks_per_source)
    sources = tuple(
        SourceResult(name, kind, 700_000, 5_000, dt.date(2024, 3, 31), (InputFile(f"{name}.csv", 1, "0" * 64),),
                     tuple(CheckOutcome(f"check.{n}", "error", "a check", per_check,
                                        tuple(f"{name}-{n}-{i:07d}" for i in range(per_check))) for n in range(checks_per_source)))
        for name, kind in (("dfe_cin", "cin"), ("dfe_cla", "ssda903"), ("ncmd", "ncmd"), ("csprp", "csprp"))
    )  # fmt: skip
    value = Interval.exact(40)
    compared = tuple(
        Comparison("lac_deaths", FY, "2023-24", f"E0600{n:04d}", "ncmd", "dfe_cla", value, value, FY, FY, value, value,
                   value - value, "==", {"abs": 2.0, "rel": 0.1}, "agree")
        for n in range(comparisons)
    )  # fmt: skip
    series = tuple(SeriesPoint(m, s, FY, "2023-24", value, value) for m in ("a", "b", "c", "d") for s in ("ncmd", "dfe_cla"))
    provenance = Provenance(dt.datetime.now(dt.UTC), dt.date(2024, 3, 31), "run.yaml", "", (), (("triangulate", "bench"),))
    return Release("run", sources, ReconcileResult(comparisons=compared, series=series), provenance)


def main() -> None:
    failing_ids = int(sys.argv[1]) if len(sys.argv) > 1 else 60_000
    comparisons = int(sys.argv[2]) if len(sys.argv) > 2 else 8_000
    release = national_release(failing_ids, comparisons)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        (Path(folder) / "results.json").write_text(json.dumps(release.to_dict(), indent=2), encoding="utf-8")
        reference = time.perf_counter() - started
        history = open_history(f"sqlite:///{folder}/history.db")
        started = time.perf_counter()
        history.record(release, dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC), label="2023-24")
        recorded = time.perf_counter() - started
        history.close()
    print(f"{failing_ids:,} failing record ids, {comparisons:,} comparisons: results.json {reference:.2f} s, "
          f"recording in SQLite {recorded:.2f} s ({recorded / reference:.1f}x)")


if __name__ == "__main__":
    main()
