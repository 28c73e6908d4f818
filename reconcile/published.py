"""Published figures for a measure: each selected cell as an interval, and the coherence of parts and wholes."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..canonical.published import CODE, GEOGRAPHY, LEVEL, PERIOD, PublishedSettings, cell_keys, disagreeing
from ..domain.cells import in_words, readings, tally
from ..domain.geography import (
    ENGLAND,
    LONDON,
    PUBLISHED_LEVELS,
    la_label,
    las_in,
    parts_of,
    region_las,
    region_of,
    wholes_of_regions,
)
from ..domain.intervals import SUPPRESSED, Interval
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
    row of the same cell says something else. A symbol the source declares (`symbols: {c: [1, 5]}`) is what it says."""
    cells = source.settings.cells(rows[value], whole=True)
    low, high = source.settings.count_bounds(cells, rows[LEVEL])
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
    leaves the sum open above (a missing LA is unknown, not 0). Rows repeating a cell count once.

    A sum open above (a `c` with no declared upper bound, a part not available or missing) can show a whole too
    small for its parts but never too big: such a test is `partial`, with its reason, never silently coherent."""
    rows = filtered(source.frame, filters)
    figures = _figures(source, rows.loc[rows[LEVEL].isin(PUBLISHED_LEVELS)], value)
    figures = figures.loc[~cell_keys(figures).duplicated(keep="first")].reset_index(drop=True)
    unknown = figures["conflict"] | figures["low"].isna()
    figures["unknown"] = unknown.astype("int64")
    figures["open"] = (~unknown & np.isinf(figures["high"])).astype("int64")  # `c` with no declared upper bound
    figures["low"] = figures["low"].where(~unknown, 0.0)
    figures["high"] = figures["high"].where(~unknown, math.inf)
    figures["location"] = figures[FILE_COLUMN].astype(str) + ":" + figures[LINE_COLUMN].astype("Int64").astype(str)
    level, place = figures[LEVEL], figures[GEOGRAPHY]
    code = figures[CODE].astype("string").fillna("")
    local, regional = level == "local authority", level == "regional"
    # Each figure's wholes in the one hierarchy (domain/geography.py): an LA's are England and its region (a London
    # borough's Inner or Outer London); a region's England, Inner or Outer London's London. A regional grouping the
    # hierarchy does not know is neither a whole's part nor summed.
    part_of = [(local, pd.Series(ENGLAND, index=figures.index)), (local, region_of(place)),
               (regional, wholes_of_regions(place, code))]  # fmt: skip
    columns = [PERIOD, LEVEL, "low", "high", "open", "unknown"]
    parts = pd.concat([figures.loc[mask, columns].assign(whole=whole[mask], order=n) for n, (mask, whole) in enumerate(part_of)])
    parts = parts.loc[parts["whole"].notna()].rename_axis("row").sort_values(["row", "order"], kind="stable")
    sums = parts.groupby([PERIOD, "whole", LEVEL], sort=False).agg(
        low=("low", "sum"), high=("high", "sum"), count=("low", "size"), open=("open", "sum"), unknown=("unknown", "sum")
    )
    found = figures.loc[~local].drop_duplicates([PERIOD, GEOGRAPHY])
    keys = zip(found[PERIOD], found[GEOGRAPHY], strict=True)
    wholes = dict(
        zip(keys, zip(found["low"], found["high"], found["location"], found["open"], found["unknown"], strict=True), strict=True)
    )
    expected = {(ENGLAND, "regional"): len(parts_of(ENGLAND)), (ENGLAND, "local authority"): len(las_in(ENGLAND)),
                (LONDON, "regional"): len(parts_of(LONDON))}  # fmt: skip
    expected |= {(region, "local authority"): len(las) for region, las in region_las().items()}
    out: list[CoherenceCheck] = []
    for (period, whole_place, part_level), low, high, count, open_parts, unknown_parts in zip(
        sums.index, sums["low"], sums["high"], sums["count"], sums["open"], sums["unknown"], strict=True
    ):
        if (period, whole_place) not in wholes:
            continue
        whole_low, whole_high, location, whole_open, whole_unknown = wholes[(period, whole_place)]
        whole = Interval(float(whole_low), float(whole_high))
        listed = expected.get((whole_place, part_level), 0)
        total = Interval(float(low), math.inf if count < listed else float(high))
        coherent = total.low <= whole.high and whole.low <= total.high
        sides = _Sides(int(open_parts), int(unknown_parts), int(count), listed, part_level, bool(whole_open), bool(whole_unknown))
        reason = sides.reason() if math.isinf(total.high) or math.isinf(whole.high) else ""
        out.append(CoherenceCheck(name, measure, period.iso, whole_place, part_level, whole, total, coherent, location, int(count),
                                  partial=bool(reason), partial_reason=reason))  # fmt: skip
    return out


_PART_NAMES = {"local authority": ("local authority", "local authorities"), "regional": ("region", "regions")}


@dataclass(frozen=True)
class _Sides:
    """What leaves one coherence test open above: parts suppressed with no bound, parts unknown or missing, the whole."""

    open_parts: int  # `c` with no declared upper bound
    unknown_parts: int  # not available, unreadable, or rows disagree
    count: int  # parts the file gives
    listed: int  # parts the whole has
    level: str
    whole_open: bool
    whole_unknown: bool

    def reason(self) -> str:
        one, many = _PART_NAMES.get(self.level, ("part", "parts"))
        causes = []
        if self.open_parts:
            causes.append(f"{_are(self.open_parts)} suppressed as {SUPPRESSED} with no declared upper bound")
        if self.unknown_parts:
            causes.append(f"{_are(self.unknown_parts)} not available, unreadable or disagreeing, so could be any number")
        if self.count < self.listed:
            causes.append(
                f"the file gives {in_words(self.count)} of the {tally(self.listed, one, many)}; the rest could be any number"
            )
        if self.whole_open:
            causes.append(f"the whole is suppressed as {SUPPRESSED} with no declared upper bound")
        elif self.whole_unknown:
            causes.append("the whole is not available, unreadable or disagreeing")
        if self.open_parts or self.whole_open:
            causes.append(f"declare symbols: {{{SUPPRESSED}: [low, high]}} with the counts the publisher says {SUPPRESSED} hides")
        parts_open = bool(self.open_parts or self.unknown_parts or self.count < self.listed)
        whole_open = self.whole_open or self.whole_unknown
        if parts_open and whole_open:
            side = "cannot fail (neither the whole nor the sum of its parts has an upper bound)"
        elif parts_open:
            side = "one-sided (the whole can be found too small for its parts, never too big)"
        else:
            side = "one-sided (the whole can be found too big for its parts, never too small)"
        return f"{side}: " + "; ".join(causes)


def _are(number: int) -> str:
    return tally(number, "part is", "parts are")
