"""Published figures for a measure: each selected cell as an interval, and the coherence of parts and wholes."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..canonical.published import DEFAULT_ROUNDING, GEOGRAPHY, LEVEL, PERIOD
from ..domain.geography import ENGLAND, PUBLISHED_LEVELS, la_field, la_lookup
from ..domain.intervals import Interval, from_published
from ..domain.periods import Period
from ..model.reconciliation import CoherenceCheck
from .measures import Values


@dataclass(frozen=True)
class PublishedSource:
    name: str
    frame: pd.DataFrame  # canonical published rows (canonical/published.py)
    rounding: Mapping[str, int]

    def base(self, level: str) -> int:
        return self.rounding.get(level, DEFAULT_ROUNDING.get(level, 1))


def published_values(
    source: PublishedSource,
    filters: Mapping[str, str],
    value: str,
    notes: list[str],
    measure: str,
    reference_date: dt.date | None,
    geographies: Sequence[str],
) -> Values | None:
    frame = source.frame
    absent = [c for c in (*filters, value) if c not in frame.columns]
    if absent:
        notes.append(f"{source.name}: not used for {measure}; it has no {', '.join(absent)} column")
        return None
    values: Values = {}
    rows = filtered(frame, filters)
    for period, geography, level, cell in zip(rows[PERIOD], rows[GEOGRAPHY], rows[LEVEL], rows[value], strict=True):
        if PUBLISHED_LEVELS.get(level) not in geographies:
            continue
        key = (period, geography)
        if reference_date is not None and period.end > reference_date:
            continue
        if key in values:
            notes.append(f"{source.name}: several rows match {measure} for {geography} {period.label}; the first is used")
            continue
        values[key] = from_published(cell, source.base(level))
    if not values:
        notes.append(f"{source.name}: no rows match the filter for {measure}")
        return None
    return values


def filtered(frame: pd.DataFrame, filters: Mapping[str, str]) -> pd.DataFrame:
    """Rows of a published file whose filter columns match, ignoring case and padding."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        mask &= frame[column].astype("string").str.strip().str.casefold() == wanted.strip().casefold()
    return frame.loc[mask.fillna(False).astype(bool)]


def coherence(name: str, measure: str, source: PublishedSource, filters: Mapping[str, str], value: str) -> list[CoherenceCheck]:
    """Sums of published parts against their whole: regions and LAs against England, LAs against their region.

    A part that is not available ('x', 'z') could be anything, so it counts as [0, unbounded].
    """
    wholes: dict[tuple[Period, str], Interval] = {}
    parts: dict[tuple[Period, str, str], list[Interval]] = defaultdict(list)  # period, whole, level of the parts
    la_region = la_field("region_name")
    rows = filtered(source.frame, filters)
    for period, place, level, cell in zip(rows[PERIOD], rows[GEOGRAPHY], rows[LEVEL], rows[value], strict=True):
        if level not in PUBLISHED_LEVELS:
            continue
        interval = from_published(cell, source.base(level))
        interval = interval if interval is not None else Interval(0, math.inf)
        if level != "local authority":
            wholes[(period, place)] = interval
        if level != "national":
            parts[(period, ENGLAND, level)].append(interval)
        if level == "local authority" and place in la_region:
            parts[(period, la_region[place], level)].append(interval)
    # How many parts a whole has; a file listing fewer leaves the sum open above (a missing LA is unknown, not 0).
    lookup = la_lookup()
    expected = {(ENGLAND, "regional"): lookup["region_name"].nunique(), (ENGLAND, "local authority"): len(lookup)}
    expected |= {(region, "local authority"): count for region, count in lookup["region_name"].value_counts().items()}
    out: list[CoherenceCheck] = []
    for (period, place, level), pieces in parts.items():
        whole = wholes.get((period, place))
        if whole is None:
            continue
        total = sum(pieces[1:], pieces[0])
        if len(pieces) < expected.get((place, level), 0):
            total = Interval(total.low, math.inf)
        coherent = total.low <= whole.high and whole.low <= total.high
        out.append(CoherenceCheck(name, measure, period.iso, place, level, whole, total, coherent))
    return out
