"""Published figures for a measure: each selected cell as an interval, and the coherence of parts and wholes."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..canonical.published import CODE, GEOGRAPHY, LEVEL, PERIOD, PublishedSettings
from ..domain.cells import read_cells
from ..domain.geography import ENGLAND, PUBLISHED_LEVELS, la_field, la_lookup
from ..domain.intervals import Interval, cell_interval
from ..domain.periods import Period
from ..model.reconciliation import CoherenceCheck
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from .measures import Values

LONDON = "London"
LONDON_CODE = "E12000007"
LONDON_PARTS = ("Inner London", "Outer London")  # E13000001, E13000002: DfE lists them beside London itself
_SHOWN_VALUES = 12


@dataclass(frozen=True)
class PublishedSource:
    name: str
    frame: pd.DataFrame  # canonical published rows (canonical/published.py)
    settings: PublishedSettings

    def base(self, level: str) -> int:
        return self.settings.base(level)


def selection_problem(source: PublishedSource, filters: Mapping[str, str], value: str) -> str | None:
    """Why a measure's filter or value selects nothing from a published table, naming what is there instead."""
    frame = source.frame
    columns = [c for c in frame.columns if not c.startswith("_")]
    for column in (*filters, value):
        if column not in frame.columns:
            return f"it has no column {column!r}; its columns are {', '.join(columns)}"
    for column, wanted in filters.items():
        # The values this column takes where the other filters hold: the ones the user most likely meant.
        others = filtered(frame, {k: v for k, v in filters.items() if k != column})
        present = (others if not others.empty else frame)[column].astype("string").str.strip().dropna().unique().tolist()
        if wanted.strip().casefold() not in {text.casefold() for text in present}:
            shown = ", ".join(repr(v) for v in present[:_SHOWN_VALUES]) + (" ..." if len(present) > _SHOWN_VALUES else "")
            return f"no row has {column} {wanted!r}; its values are {shown}"
    if filtered(frame, filters).empty:
        return "no row matches every filter at once: " + ", ".join(f"{k} {v!r}" for k, v in filters.items())
    return None


def published_values(
    source: PublishedSource,
    filters: Mapping[str, str],
    value: str,
    notes: list[str],
    measure: str,
    reference_date: dt.date | None,
    geographies: Sequence[str],
) -> Values:
    """Each selected cell as an interval by (period, geography); unreadable cells are reported by the published checks."""
    values: Values = {}
    rows = filtered(source.frame, filters)
    cells = read_cells(rows[value], whole=True)
    symbols = cells.symbol.where(cells.symbol.notna(), None)
    for period, geography, level, number, symbol, unreadable in zip(
        rows[PERIOD], rows[GEOGRAPHY], rows[LEVEL], cells.number, symbols, cells.unreadable, strict=True
    ):
        if PUBLISHED_LEVELS.get(level) not in geographies or unreadable:
            continue
        key = (period, geography)
        if reference_date is not None and period.end > reference_date:
            continue
        if key in values:
            notes.append(f"{source.name}: several rows match {measure} for {geography} {period.label}; the first is used")
            continue
        values[key] = cell_interval(number, symbol, source.base(level))
    return values


def filtered(frame: pd.DataFrame, filters: Mapping[str, str]) -> pd.DataFrame:
    """Rows of a published file whose filter columns match, ignoring case and padding."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        mask &= frame[column].astype("string").str.strip().str.casefold() == wanted.strip().casefold()
    return frame.loc[mask.fillna(False).astype(bool)]


def _wholes_of(level: str, place: str, code: object, la_region: Mapping[str, str], regions: set[str]) -> list[str]:
    """The wholes a published row is a part of: England is the nine regions (E12) and also all LAs;
    London is Inner and Outer London (E13); each region is its LAs."""
    code_text = str(code) if isinstance(code, str) else ""
    if level == "local authority":
        return [ENGLAND, *([la_region[place]] if place in la_region else [])]
    if level != "regional":
        return []
    if code_text.startswith("E13") or (not code_text and place in LONDON_PARTS):
        return [LONDON]
    if code_text.startswith("E12") or (not code_text and place in regions):
        return [ENGLAND]
    return []  # a regional grouping the hierarchy does not know: neither a whole's part nor summed


def coherence(name: str, measure: str, source: PublishedSource, filters: Mapping[str, str], value: str) -> list[CoherenceCheck]:
    """Sums of published parts against their whole. A part that is not available ('x', 'z') could be
    anything, so it counts as [0, unbounded]; a file listing fewer parts than the whole has leaves the sum
    open above (a missing LA is unknown, not 0)."""
    wholes: dict[tuple[Period, str], tuple[Interval, str]] = {}
    parts: dict[tuple[Period, str, str], list[Interval]] = defaultdict(list)  # period, whole, level of the parts
    la_region = la_field("region_name")
    lookup = la_lookup()
    # The LA lookup places London's boroughs in Inner or Outer London; England's nine regions have London itself.
    regions = (set(lookup["region_name"]) - set(LONDON_PARTS)) | {LONDON}
    rows = filtered(source.frame, filters)
    cells = read_cells(rows[value], whole=True)
    where = rows[FILE_COLUMN].astype(str) + ":" + rows[LINE_COLUMN].astype("Int64").astype(str)
    for period, place, level, code, number, symbol, unreadable, location in zip(
        rows[PERIOD], rows[GEOGRAPHY], rows[LEVEL], rows[CODE], cells.number,
        cells.symbol.where(cells.symbol.notna(), None), cells.unreadable, where, strict=True,
    ):  # fmt: skip
        if level not in PUBLISHED_LEVELS:
            continue
        interval = None if unreadable else cell_interval(number, symbol, source.base(level))
        interval = interval if interval is not None else Interval(0, math.inf)
        if level != "local authority":
            wholes.setdefault((period, place), (interval, location))
        for whole in _wholes_of(level, place, code, la_region, regions):
            parts[(period, whole, level)].append(interval)
    expected = {(ENGLAND, "regional"): len(regions), (ENGLAND, "local authority"): len(lookup), (LONDON, "regional"): 2}
    expected |= {(region, "local authority"): count for region, count in lookup["region_name"].value_counts().items()}
    out: list[CoherenceCheck] = []
    for (period, place, level), pieces in parts.items():
        if (period, place) not in wholes:
            continue
        whole, location = wholes[(period, place)]
        total = sum(pieces[1:], pieces[0])
        if len(pieces) < expected.get((place, level), 0):
            total = Interval(total.low, math.inf)
        coherent = total.low <= whole.high and whole.low <= total.high
        out.append(CoherenceCheck(name, measure, period.iso, place, level, whole, total, coherent, location, len(pieces)))
    return out
