"""Published figures for a measure: each selected cell as an interval, and the coherence of parts and wholes."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..canonical.published import CODE, GEOGRAPHY, LEVEL, PERIOD, PublishedSettings, cell_keys, disagreeing
from ..domain.cells import cell_bounds, read_cells, readings
from ..domain.geography import ENGLAND, LONDON, LONDON_PARTS, PUBLISHED_LEVELS, la_field, la_label, la_lookup
from ..domain.intervals import Interval
from ..model.reconciliation import CoherenceCheck
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from .measures import Values

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
    """Each selected cell as an interval by (period, geography); unreadable cells are reported by the published checks.

    Rows that give one cell different figures (`published.duplicate`) make it None, not comparable: one of them is
    wrong and nothing says which, and the span of both would claim the truth lies between two figures the
    publisher never stated together, letting a third source 'agree' with neither.
    """
    figures = _figures(source, filtered(source.frame, filters), value)
    shown = figures[LEVEL].map(PUBLISHED_LEVELS).isin(geographies) & figures[GEOGRAPHY].notna()
    if reference_date is not None:
        ends = {period: period.end <= reference_date for period in figures[PERIOD].unique()}
        shown &= figures[PERIOD].map(ends).astype(bool)
    figures = figures.loc[shown & (figures["conflict"] | ~figures["unreadable"])]
    if figures.empty:
        return {}
    keys = list(cell_keys(figures).columns)
    figures = pd.concat([figures, cell_keys(figures)], axis=1)
    figures["rows"] = figures.groupby(keys, sort=False)["low"].transform("size")
    chosen = figures.loc[~figures.duplicated(keys, keep="first")]
    values: Values = {}
    for period, geography, low, high, conflict, rows in zip(
        chosen[PERIOD], chosen[GEOGRAPHY], chosen["low"], chosen["high"], chosen["conflict"], chosen["rows"], strict=True
    ):
        values[(period, geography)] = None if conflict or math.isnan(low) else Interval(float(low), float(high))
        if conflict:
            notes.append(f"{source.name}: rows disagree on {measure} for {la_label(geography)} {period.label} "
                         "(published.duplicate), so it is not compared")  # fmt: skip
        elif rows > 1:
            notes.append(f"{source.name}: several identical rows match {measure} for {la_label(geography)} {period.label}; one is used")
    return values


def _figures(source: PublishedSource, rows: pd.DataFrame, value: str) -> pd.DataFrame:
    """Each selected row's count as [low, high] (NaN when not usable), whether it is unreadable, and whether another
    row of the same cell says something else."""
    cells = read_cells(rows[value], whole=True)
    low, high = cell_bounds(cells, rows[LEVEL].map(source.base).fillna(1).astype("int64"), count=True)
    return pd.DataFrame(
        {
            PERIOD: rows[PERIOD], GEOGRAPHY: rows[GEOGRAPHY], LEVEL: rows[LEVEL], CODE: rows[CODE],
            FILE_COLUMN: rows[FILE_COLUMN], LINE_COLUMN: rows[LINE_COLUMN], "low": low, "high": high,
            "unreadable": cells.unreadable.to_numpy(dtype=bool), "conflict": disagreeing(rows, readings(cells)),
        },
        index=rows.index,
    )  # fmt: skip


def filtered(frame: pd.DataFrame, filters: Mapping[str, str]) -> pd.DataFrame:
    """Rows of a published file whose filter columns match, ignoring case and padding."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        mask &= frame[column].astype("string").str.strip().str.casefold() == wanted.strip().casefold()
    return frame.loc[mask.fillna(False).astype(bool)]


def coherence(name: str, measure: str, source: PublishedSource, filters: Mapping[str, str], value: str) -> list[CoherenceCheck]:
    """Sums of published parts against their whole: England is the nine regions (E12) and also all LAs; London is
    Inner and Outer London (E13); each region is its LAs. A part that is not available ('x', 'z'), or that rows
    disagree on, could be anything, so it counts as [0, unbounded]; a file listing fewer parts than the whole has
    leaves the sum open above (a missing LA is unknown, not 0). Rows repeating a cell count once."""
    rows = filtered(source.frame, filters)
    figures = _figures(source, rows.loc[rows[LEVEL].isin(PUBLISHED_LEVELS)], value)
    figures = figures.loc[~cell_keys(figures).duplicated(keep="first")].reset_index(drop=True)
    unknown = figures["conflict"] | figures["low"].isna()
    figures["low"] = figures["low"].where(~unknown, 0.0)
    figures["high"] = figures["high"].where(~unknown, math.inf)
    figures["location"] = figures[FILE_COLUMN].astype(str) + ":" + figures[LINE_COLUMN].astype("Int64").astype(str)
    lookup = la_lookup()
    # The LA lookup places London's boroughs in Inner or Outer London; England's nine regions have London itself.
    regions = (set(lookup["region_name"]) - set(LONDON_PARTS)) | {LONDON}
    level, place = figures[LEVEL], figures[GEOGRAPHY]
    code = figures[CODE].astype("string").fillna("")
    local, regional = level == "local authority", level == "regional"
    to_london = regional & (code.str.startswith("E13") | ((code == "") & place.isin(LONDON_PARTS)))
    to_england = regional & ~to_london & (code.str.startswith("E12") | ((code == "") & place.isin(regions)))
    # A regional grouping the hierarchy does not know is neither a whole's part nor summed.
    part_of = [(local, pd.Series(ENGLAND, index=figures.index)), (local, place.map(la_field("region_name"))),
               (to_london, pd.Series(LONDON, index=figures.index)), (to_england, pd.Series(ENGLAND, index=figures.index))]  # fmt: skip
    parts = pd.concat(
        [figures.loc[mask, [PERIOD, LEVEL, "low", "high"]].assign(whole=whole[mask], order=n) for n, (mask, whole) in enumerate(part_of)]
    )
    parts = parts.loc[parts["whole"].notna()].rename_axis("row").sort_values(["row", "order"], kind="stable")
    sums = parts.groupby([PERIOD, "whole", LEVEL], sort=False).agg(low=("low", "sum"), high=("high", "sum"), count=("low", "size"))
    found = figures.loc[~local].drop_duplicates([PERIOD, GEOGRAPHY])
    keys = zip(found[PERIOD], found[GEOGRAPHY], strict=True)
    wholes = dict(zip(keys, zip(found["low"], found["high"], found["location"], strict=True), strict=True))
    expected = {(ENGLAND, "regional"): len(regions), (ENGLAND, "local authority"): len(lookup), (LONDON, "regional"): 2}
    expected |= {(region, "local authority"): count for region, count in lookup["region_name"].value_counts().items()}
    out: list[CoherenceCheck] = []
    for (period, whole_place, part_level), low, high, count in zip(sums.index, sums["low"], sums["high"], sums["count"], strict=True):
        if (period, whole_place) not in wholes:
            continue
        whole_low, whole_high, location = wholes[(period, whole_place)]
        whole = Interval(float(whole_low), float(whole_high))
        total = Interval(float(low), math.inf if count < expected.get((whole_place, part_level), 0) else float(high))
        coherent = total.low <= whole.high and whole.low <= total.high
        out.append(CoherenceCheck(name, measure, period.iso, whole_place, part_level, whole, total, coherent, location, int(count)))
    return out
