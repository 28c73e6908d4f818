"""Benchmark reconciliation (issue 3): ten national years, and 1,000,000 x 1,000,000 record linkage.

Run by hand (`make bench`), not in the test suite. Records are built straight into the canonical
death-record frame with the project's own builder, so the time is reconciliation alone, not parsing.
Usage: python benchmarks/bench_reconcile.py [linkage_records]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from triangulate.canonical.records import death_records
from triangulate.config import default_measures
from triangulate.domain.geography import la_lookup
from triangulate.reconcile.engine import reconcile
from triangulate.reconcile.linkage import link

YEARS = 10
NCMD_DEATHS = 36_000
DFE_DEATHS = 10_000  # CIN census and SSDA903 together
SINS = 4_000


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series((np.datetime64("2013-04-01") + days.astype("timedelta64[D]")).astype("datetime64[s]")).dt.strftime(
        "%Y-%m-%d"
    )


def _population(rng: np.random.Generator, size: int) -> pd.DataFrame:
    death_day = rng.integers(0, 365 * YEARS, size)
    age_days = rng.integers(0, 18 * 365, size)
    return pd.DataFrame(
        {
            "child_id": [f"P{n:07d}" for n in range(size)],
            "death_day": death_day,
            "birth_day": death_day - age_days,
            "sex": rng.choice(["M", "F"], size),
            "la_code": rng.choice(la_lookup()["new_la_code"].to_numpy(), size),
            "status": rng.choice(["LAC", "CPP", "CIN", "OTHER_KNOWN", "NONE"], size, p=[0.03, 0.03, 0.2, 0.04, 0.7]),
            "abuse_neglect": rng.random(size) < 0.1,
        }
    )


def _frame(source: str, people: pd.DataFrame, rng: np.random.Generator, keep_id: float, jitter: float) -> pd.DataFrame:
    shift = np.where(rng.random(len(people)) < jitter, rng.integers(-3, 4, len(people)), 0)
    ids = pd.Series([f"{source}{n}" for n in range(len(people))])
    child_id = people["child_id"].where(rng.random(len(people)) < keep_id).reset_index(drop=True)
    return death_records(
        source=source,
        record_id=ids,
        child_key=child_id.where(child_id.notna(), ids),
        location=ids,
        birth_date=_dates(people["birth_day"].to_numpy()),
        death_date=_dates(people["death_day"].to_numpy() + shift),
        sex=people["sex"].reset_index(drop=True),
        la_code=people["la_code"].reset_index(drop=True),
        status=people["status"].reset_index(drop=True),
        reference_date=pd.Timestamp("2023-03-31"),
        child_id=child_id,
        cpp_at_death=(people["status"] == "CPP").reset_index(drop=True).astype("boolean"),
        abuse_neglect=pd.Series(people["abuse_neglect"].to_numpy()).astype("boolean"),
    )


def ten_national_years() -> None:
    rng = np.random.default_rng(1)
    people = _population(rng, NCMD_DEATHS)
    social_care = people.loc[people["status"].isin(["LAC", "CPP", "CIN", "OTHER_KNOWN"])]
    dfe = social_care.sample(n=min(DFE_DEATHS, len(social_care)), random_state=1)
    dfe = dfe.loc[rng.random(len(dfe)) > 0.02]  # a few deaths the NCMD has and DfE does not
    cla = dfe.loc[dfe["status"] == "LAC"]
    cin = dfe.loc[dfe["status"] != "LAC"].assign(status="CIN")
    sins = pd.concat([people.loc[people["status"] == "LAC"], people.loc[people["abuse_neglect"]]]).drop_duplicates("child_id")
    sins = sins.sample(n=min(SINS, len(sins)), random_state=2)
    frames = {
        "ncmd": ("ncmd", _frame("N", people, rng, 0.0, 0.0)),
        "dfe_cin": ("cin", _frame("C", cin, rng, 0.0, 0.05)),
        "dfe_cla": ("ssda903", _frame("L", cla, rng, 0.0, 0.05)),
        "csprp": ("csprp", _frame("S", sins, rng, 0.0, 0.05)),
    }
    deaths = {name: frame for name, (_, frame) in frames.items()}
    kinds = {name: kind for name, (kind, _) in frames.items()}
    sizes = ", ".join(f"{name} {len(frame):,}" for name, (_, frame) in frames.items())
    start = time.perf_counter()
    result = reconcile(deaths, kinds, {}, default_measures(), reference_date=None)
    seconds = time.perf_counter() - start
    print(f"ten national years ({sizes} deaths): reconcile {seconds:.1f} s")
    print(
        f"  {len(result.comparisons):,} comparisons, {len(result.bridges):,} bridges, {len(result.unmatched):,} unmatched lists"
    )


def linkage(size: int) -> None:
    rng = np.random.default_rng(2)
    people = _population(rng, size)
    left = _frame("A", people, rng, 0.3, 0.0)
    # The right side misses 1% of the left's deaths and has 1% of its own; 10% of its dates are a few days off.
    strangers = _population(np.random.default_rng(9), size // 100).assign(child_id=lambda f: "Q" + f["child_id"])
    right_people = pd.concat([people.sample(frac=0.99, random_state=3), strangers], ignore_index=True)
    right = _frame("B", right_people, rng, 0.3, 0.1)
    keys = ["date_of_birth", "sex", "la_code", "date_of_death"]
    start = time.perf_counter()
    merged = left[keys].merge(right[keys], on=keys, how="outer", indicator=True)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    links = link(left, right, death_date_days=7)
    ours = time.perf_counter() - start
    print(
        f"linkage {size:,} x {size:,}: plain outer merge on {', '.join(keys)} {plain:.2f} s ({(merged['_merge'] == 'both').sum():,} exact)"
    )
    print(
        f"  link() with child_id then +/-7 days {ours:.2f} s = {ours / plain:.1f}x the merge; "
        f"{len(links.pairs):,} pairs, {len(links.only_left):,} only left, {len(links.only_right):,} only right"
    )


if __name__ == "__main__":
    ten_national_years()
    linkage(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
