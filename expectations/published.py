"""Checks on published tables (canonical published rows): every cell readable, counts rounded as
declared, rates consistent with their own counts. Vectorised pandas, not Great Expectations,
because each depends on what the run config declares for the source (its rounding, its rates).

Each finding names its cell: the row's `file:line` and the column with the text as written.
Published tables are aggregate statistics, so quoting a cell discloses nothing about a child.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..canonical.published import LEVEL, PublishedSettings
from ..domain.cells import cell_bounds, read_cells
from ..schemas.base import FILE_COLUMN, LINE_COLUMN

PUBLISHED_CHECKS = ("published.unreadable", "published.rounding", "published.rate_inconsistent")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CellFinding:
    check_id: str
    location: str  # file:line
    cell: str  # column: "text as written"


def check_published(rows: pd.DataFrame, settings: PublishedSettings, counted: Sequence[tuple[pd.Series, str]]) -> list[CellFinding]:
    """Findings in file order. `counted`: (rows, column) the measures compare, each a count; a declared
    rate's rate, count and denominator columns are checked on every row."""
    findings: list[tuple[int, CellFinding]] = []
    where = rows[FILE_COLUMN].astype(str) + ":" + rows[LINE_COLUMN].astype("Int64").astype(str)
    bases = rows[LEVEL].map(settings.base).fillna(1).astype("int64")
    everywhere = pd.Series(True, index=rows.index)
    cells_to_read: dict[tuple[str, bool], pd.Series] = {}  # (column, is a count) -> rows
    for mask, column in [*counted, *((everywhere, r.count) for r in settings.rates)]:
        cells_to_read[(column, True)] = cells_to_read.get((column, True), ~everywhere) | mask
    for rate in settings.rates:
        cells_to_read.setdefault((rate.denominator, False), everywhere)
        cells_to_read[(rate.rate, False)] = everywhere
    for (column, is_count), mask in cells_to_read.items():
        if column not in rows:
            continue
        cells = read_cells(rows[column], whole=is_count or column in {r.denominator for r in settings.rates})
        findings += _found("published.unreadable", cells.unreadable & mask, rows, where, column)
        if is_count:
            number = cells.number.to_numpy()
            off_base = (bases.to_numpy() > 1) & ~np.isnan(number) & (np.mod(np.nan_to_num(number), bases.to_numpy()) != 0)
            findings += _found("published.rounding", pd.Series(off_base, index=rows.index) & mask, rows, where, column)
    for rate in settings.rates:
        if all(c in rows for c in (rate.rate, rate.count, rate.denominator)):
            findings += _found("published.rate_inconsistent", _inconsistent(rows, rate, bases), rows, where, rate.rate)
    return [finding for _, finding in sorted(findings, key=lambda item: item[0])]


def _found(check_id: str, mask: pd.Series, rows: pd.DataFrame, where: pd.Series, column: str) -> list[tuple[int, CellFinding]]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    texts = rows[column].astype("string").fillna("")
    return [
        (int(position), CellFinding(check_id, where.iloc[position], f"{column}: {texts.iloc[position]!r}"))
        for position in positions
    ]


def _inconsistent(rows: pd.DataFrame, rate, bases: pd.Series) -> pd.Series:  # type: ignore[no-untyped-def]
    """A rate that no count in the count's interval can produce, rounded to the decimals the cell shows.

    Either rounding of halves is accepted: the count may lie anywhere in [rate - h, rate + h] x D / per.
    """
    rate_cells = read_cells(rows[rate.rate], whole=False)
    low, high = cell_bounds(read_cells(rows[rate.count], whole=True), bases)
    denominator = read_cells(rows[rate.denominator], whole=True).number.to_numpy()
    value = rate_cells.number.to_numpy()
    half = 0.5 * np.power(10.0, -rate_cells.decimals.to_numpy())
    scale = denominator / rate.per
    smallest = np.ceil((value - half) * scale - _TOLERANCE * np.maximum(1, value * scale))
    largest = np.floor((value + half) * scale + _TOLERANCE * np.maximum(1, value * scale))
    comparable = ~np.isnan(value) & ~np.isnan(low) & ~np.isnan(denominator) & (denominator > 0)
    with np.errstate(invalid="ignore"):
        possible = np.maximum(smallest, low) <= np.minimum(largest, high)
    return pd.Series(comparable & ~possible, index=rows.index)
