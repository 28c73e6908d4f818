"""Learned expectations (issue 25): series bands and funnels for every LA of a national published file, against a
reference measured in the same run: reading that file with pandas, which every run does anyway.

The file is DfE-shaped (EES columns, "Reporting year" rows): 150 LAs from the shipped LA list (data/la_codes.csv)
x 12 years (2013 to 2024) x 4 indicators of Poisson counts at fixed rates of each LA's ONS 0-17 population (the
shipped estimates, data/ons_population_0_17_2012_2024.csv), with a population column, and the national and regional
rows as the sums of those LAs, as a publisher writes them. Timed in this process, best of N repeats (the first
repeat's time is shown too: it pays scipy.special's import, once a run):

* (a) the reference: `pd.read_csv(path, dtype=str)`;
* (b) series bands: `reconcile.bands.test_point` for every LA x indicator, 2024 against the 11 years before (as a
  run does: counts, no offsets), and again with the population as the offset (a band for a rate);
* (c) funnels: `reconcile.funnels.funnel` of counts over populations, per 10,000, for every indicator in the latest
  year (what a run would do) and for every indicator x year.

Then `triangulate reconcile` end to end, each run its own process, on a config that selects the 4 indicators from
that file, with the series bands on (the default, `anomaly: {level: 0.998}`) and `anomaly: off`, interleaved, M
pairs: the best of each, and the median of the M paired differences (steadier on a busy machine); and, to account
for that difference, the cold import of scipy.special, which only the bands need. Funnels are not wired into runs
yet, so they are not in it.
Usage: python benchmarks/bench_learned.py [N] [M]   (default 5 and 7; about 40 s)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from triangulate.domain.geography import known_la_codes, la_lookup
from triangulate.reconcile.bands import ABOVE, BELOW, test_point
from triangulate.reconcile.funnels import funnel

LAS = 150
YEARS = list(range(2013, 2025))
# Counts a year per child aged 0 to 17 (an LA of 50,000 children: about 4, 30, 150 and 250).
INDICATORS = {
    "deaths_cin": 0.00008,
    "deaths_all": 0.0006,
    "cla_ceased": 0.003,
    "cpp_started": 0.005,
}
TRIANGULATE = [sys.executable, "-m", "triangulate.cli"]


def _populations() -> pd.DataFrame:
    """Each shipped LA's 0-17 population by year; an LA made or ended by a reorganisation (2019 to 2023) takes its
    nearest year's estimate for the years it has none."""
    with resources.files("triangulate").joinpath("data/ons_population_0_17_2012_2024.csv").open("r", encoding="utf-8") as handle:
        ons = pd.read_csv(handle, dtype=str)
    ons = ons.loc[(ons["geographic_level"] == "Local authority") & ons["new_la_code"].isin(known_la_codes("ons"))]
    table = ons.assign(year=ons["time_period"].astype(int), population=ons["population_estimate"].astype(int)).pivot_table(
        index="new_la_code", columns="year", values="population", aggfunc="first"
    )
    return table.reindex(columns=YEARS).ffill(axis=1).bfill(axis=1).dropna().astype(int)


def write_published(path: Path) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """Write the file; return the LA codes, their populations (LA x year) and each indicator's counts (LA x year)."""
    rng = np.random.default_rng(25)
    populations = _populations()
    if len(populations) < LAS:
        raise SystemExit(f"only {len(populations)} shipped LAs have a population")
    lookup = la_lookup().set_index("new_la_code")
    codes = sorted(populations.index)[:LAS]
    pop = populations.loc[codes].to_numpy()
    counts = {name: rng.poisson(rate * pop) for name, rate in INDICATORS.items()}
    las = lookup.loc[codes]
    frames = []
    for j, year in enumerate(YEARS):
        frame = pd.DataFrame(
            {
                "time_period": year,
                "time_identifier": "Reporting year",
                "geographic_level": "Local authority",
                "country_code": "E92000001",
                "country_name": "England",
                "region_code": las["region_code"].to_numpy(),
                "region_name": las["region_name"].to_numpy(),
                "old_la_code": las["old_la_code"].to_numpy(),
                "new_la_code": codes,
                "la_name": las["la_name"].to_numpy(),
                **{name: values[:, j] for name, values in counts.items()},
                "population": pop[:, j],
            }
        )
        sums = [*INDICATORS, "population"]
        regions = frame.groupby(["region_code", "region_name"], as_index=False)[sums].sum()
        regions = regions.assign(time_period=year, time_identifier="Reporting year", geographic_level="Regional",
                                 country_code="E92000001", country_name="England")  # fmt: skip
        national = frame[sums].sum().to_frame().T.assign(
            time_period=year, time_identifier="Reporting year", geographic_level="National", country_code="E92000001",
            country_name="England"
        )  # fmt: skip
        frames += [national, regions, frame]
    table = pd.concat(frames, ignore_index=True)[list(frames[-1].columns)]
    table.to_csv(path, index=False)
    return codes, pop, counts


def best_of(repeats: int, work: Callable[[], object]) -> tuple[float, float]:
    """(best, first) wall seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times), times[0]


def _bands(counts: dict[str, np.ndarray], pop: np.ndarray | None) -> int:
    flagged = 0
    for values in counts.values():
        for i, row in enumerate(values.tolist()):
            offsets = None if pop is None else pop[i, :-1].tolist()
            found = test_point(
                row[:-1], row[-1], row[-1], offsets=offsets, next_offset=None if pop is None else float(pop[i, -1])
            )
            flagged += found.status in (ABOVE, BELOW)
    return flagged


def _funnels(codes: list[str], counts: dict[str, np.ndarray], pop: np.ndarray, years: range) -> int:
    outside = 0
    for values in counts.values():
        for j in years:
            made = funnel(codes, values[:, j].tolist(), pop[:, j].tolist(), per=10_000)
            outside += sum(point.outside == "0.998" for point in made.points)
    return outside


def _scipy_import() -> float:
    """Seconds to import scipy.special in a fresh process that has numpy and pandas already, as a run has; a run
    with `anomaly: off` never imports scipy."""
    code = "import time, numpy, pandas; t = time.perf_counter(); import scipy.special; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def _config(folder: Path, anomaly: str) -> Path:
    measures = "".join(
        f"  - id: {name}\n    select:\n      dfe: {{value: {name}}}\n    anomaly: {anomaly}\n" for name in INDICATORS
    )
    path = folder / f"run-{'off' if anomaly == 'off' else 'on'}.yaml"
    path.write_text(f"sources:\n  dfe: {{kind: published, path: published.csv, rounding: none}}\nmeasures:\n{measures}")
    return path


def _reconcile(config: Path, output: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and number of anomalies in results.json of one `triangulate reconcile`."""
    output.unlink(missing_ok=True)
    start = time.perf_counter()
    done = subprocess.run([*TRIANGULATE, "reconcile", "--config", str(config), "--json", str(output)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - start
    if not output.exists():
        raise SystemExit(f"reconcile wrote no results (exit {done.returncode}): {done.stderr[-500:]}")
    return seconds, done.returncode, len(json.loads(output.read_text())["anomalies"])


def main(repeats: int, runs_repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-learned-") as temporary:
        folder = Path(temporary)
        path = folder / "published.csv"
        codes, pop, counts = write_published(path)
        rows = len(pd.read_csv(path, dtype=str))
        print(f"published file: {len(codes)} LAs x {len(YEARS)} years x {len(INDICATORS)} indicators "
              f"({rows:,} rows with national and regional, {path.stat().st_size / 2**20:.1f} MB); best of {repeats}")  # fmt: skip
        reference, _ = best_of(repeats, lambda: pd.read_csv(path, dtype=str))
        bands, bands_first = best_of(repeats, lambda: _bands(counts, None))
        rates, _ = best_of(repeats, lambda: _bands(counts, pop))
        latest, latest_first = best_of(repeats, lambda: _funnels(codes, counts, pop, range(len(YEARS) - 1, len(YEARS))))
        every, _ = best_of(repeats, lambda: _funnels(codes, counts, pop, range(len(YEARS))))
        flagged, outside = _bands(counts, None), _funnels(codes, counts, pop, range(len(YEARS) - 1, len(YEARS)))
        series, fits = len(codes) * len(INDICATORS), len(INDICATORS) * len(YEARS)
        lines = [
            ("(a) reference: pd.read_csv(path, dtype=str)", reference, ""),
            (f"(b) bands, {series} LA x indicator series, 11 past years", bands,
             f"first {bands_first * 1000:.0f} ms; {flagged} outside 99.8%"),
            ("    the same with population offsets (rates)", rates, ""),
            (f"(c) funnels, {len(INDICATORS)} indicators x latest year", latest,
             f"first {latest_first * 1000:.0f} ms; {outside} LAs outside 99.8%"),
            (f"    funnels, {len(INDICATORS)} indicators x {len(YEARS)} years ({fits} funnels)", every, ""),
        ]  # fmt: skip
        scipy_s = min(_scipy_import() for _ in range(repeats))
        lines.append(("    import scipy.special, fresh process (numpy, pandas in)", scipy_s, "once a run, when bands are on"))
        for label, seconds, extra in lines:
            print(f"{label:<58} {seconds * 1000:>8.1f} ms  {seconds / reference:>6.2f}x (a)  {extra}".rstrip(), flush=True)

        on, off = _config(folder, "{level: 0.998}"), _config(folder, "off")
        runs: dict[Path, list[tuple[float, int, int]]] = {on: [], off: []}
        for _ in range(runs_repeats):  # interleaved: a spell of load elsewhere hits both alike
            for config in (off, on):
                runs[config].append(_reconcile(config, folder / "results.json"))
        (on_s, on_exit, on_found), (off_s, off_exit, off_found) = min(runs[on]), min(runs[off])
        print(f"{'triangulate reconcile, anomaly: off':<58} {off_s * 1000:>8.0f} ms  (exit {off_exit}; {off_found} anomalies)")
        print(
            f"{'triangulate reconcile, anomaly: {level: 0.998}':<58} {on_s * 1000:>8.0f} ms  (exit {on_exit}; {on_found} anomalies)"
        )
        paired = sorted(a[0] - b[0] for a, b in zip(runs[on], runs[off], strict=True))
        median = paired[len(paired) // 2]
        print(f"{f'series bands in a run (on - off, median of {runs_repeats} pairs)':<58} {median * 1000:>8.0f} ms  "
              f"({median / off_s:+.1%} of the best run off; best on - best off {(on_s - off_s) * 1000:.0f} ms; "
              f"walls on {', '.join(f'{r[0]:.2f}' for r in runs[on])} s, off {', '.join(f'{r[0]:.2f}' for r in runs[off])} s)")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, int(sys.argv[2]) if len(sys.argv) > 2 else 7)
