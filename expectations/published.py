"""Checks on published tables (canonical published rows): every cell readable, counts rounded as
declared, rates consistent with their own counts. Vectorised pandas, not Great Expectations,
because each depends on what the run config declares for the source (its rounding, its rates, its symbols).

Every cell of every column of figures is read, on every row, not only the rows a measure selects: a
corrupt cell nobody compares is still a corrupt table. A cell known to be a count (a measure selects it,
or a declared rate counts it) is read strictly (a whole number, rounded as declared); any other figure
may be a percentage or an average (DfE's `number` column holds "Average duration ... (days)"), so
it must be a number or a symbol, of any kind.

Each finding names its cell: the row's `file:line` and the column with the text as written.
Published tables are aggregate statistics, so quoting a cell discloses nothing about a child.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..canonical.published import (
    GEOGRAPHY,
    LEVEL,
    PERIOD,
    PublishedSettings,
    RateSpec,
    cell_keys,
    disagreeing,
    unmapped_old_codes,
)
from ..domain.cells import Cells, Declared, cell_bounds, low_contradicts, read_cells, readings
from ..domain.geography import PUBLISHED_LEVELS, la_label
from ..schemas.base import FILE_COLUMN, LINE_COLUMN

PUBLISHED_CHECKS = ("published.unreadable", "published.rounding", "published.duplicate", "published.rate_inconsistent")
INVALID_OLD_CODE = "invalid.old_la_code"
_TOLERANCE = 1e-9
# EES's time and geography columns: never figures, though some are digits (time_period, old_la_code, URNs).
_NOT_FIGURES = {
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code", "region_name",
    "old_la_code", "new_la_code", "la_name", "period_start", "period_end", "school_urn", "school_laestab",
    "provider_ukprn", "trust_id", "sponsor_id",
}  # fmt: skip
# A column no measure or rate names is a column of figures when at most this share of its cells are words, neither a
# number nor a symbol nor a figure with digits (a stray corrupt cell), so that a filter column of numbers and 'Total'
# is not one.
_STRAY = 0.01


@dataclass(frozen=True)
class CellFinding:
    check_id: str
    location: str  # file:line
    cell: str  # column: "text as written"


@dataclass(frozen=True)
class TableCheck:
    findings: list[CellFinding]
    figures: tuple[str, ...]  # the columns of figures, every cell of which was read
    counts: int  # how many cells are known to be counts, so were checked for rounding too


def check_table(
    rows: pd.DataFrame, settings: PublishedSettings, counted: Sequence[tuple[pd.Series, str]], filters: Collection[str] = ()
) -> TableCheck:
    """Findings in file order. `counted`: (rows, column) the measures compare, each a count; a declared
    rate's rate, count and denominator columns are checked on every row. `filters`: columns the measures filter
    on, which are never figures. Every other cell of a column of figures must be a number or a symbol."""
    findings: list[tuple[int, CellFinding]] = []
    where = rows[FILE_COLUMN].astype(str) + ":" + rows[LINE_COLUMN].astype("Int64").astype(str)
    bases = rows[LEVEL].map(settings.base).fillna(1).astype("int64")
    declared = settings.symbols
    everywhere = pd.Series(True, index=rows.index)
    cells_to_read: dict[tuple[str, bool], pd.Series] = {}  # (column, is a count) -> rows
    for mask, column in [*counted, *((everywhere, r.count) for r in settings.rates)]:
        cells_to_read[(column, True)] = cells_to_read.get((column, True), ~everywhere) | mask
    for rate in settings.rates:
        cells_to_read.setdefault((rate.denominator, False), everywhere)
        cells_to_read[(rate.rate, False)] = everywhere
    read: dict[str, pd.Series] = {}  # column -> rows read strictly above
    counts = 0
    for (column, is_count), mask in cells_to_read.items():
        if column not in rows:
            continue
        read[column] = read.get(column, ~everywhere) | mask
        whole = is_count or column in {r.denominator for r in settings.rates}
        cells = settings.cells(rows[column], whole=whole)
        findings += _found("published.unreadable", cells.unreadable & mask, rows, where, column)
        if is_count:
            counts += int(mask.sum())
            number = cells.number.to_numpy()
            off_base = (bases.to_numpy() > 1) & ~np.isnan(number) & (np.mod(np.nan_to_num(number), bases.to_numpy()) != 0)
            # `low` where only 0 rounds to 0 contradicts the declared rounding just as 25 rounded to 10 does.
            off_base |= low_contradicts(cells, bases, declared).to_numpy()
            findings += _found("published.rounding", pd.Series(off_base, index=rows.index) & mask, rows, where, column)
    figures = figure_columns(rows, set(read), filters, declared)
    for column, cells in figures.items():
        rest = ~read.get(column, ~everywhere)  # the rows no measure or rate reads: any number or symbol
        findings += _found("published.unreadable", cells.unreadable & rest, rows, where, column)
    for rate in settings.rates:
        if all(c in rows for c in (rate.rate, rate.count, rate.denominator)):
            findings += _found(
                "published.rate_inconsistent", _inconsistent(rows, rate, bases, declared)[1], rows, where, rate.rate
            )
    if "old_la_code" in rows:
        findings += _found(INVALID_OLD_CODE, unmapped_old_codes(rows), rows, where, "old_la_code")
    findings += _duplicates(rows, counted, where, settings)
    unique = {(position, finding): None for position, finding in findings}  # a row two measures select is one finding
    ordered = [finding for _, finding in sorted(unique, key=lambda item: item[0])]
    return TableCheck(ordered, tuple(figures), counts)


def figure_columns(
    rows: pd.DataFrame, named: Collection[str], filters: Collection[str], declared: Collection[str]
) -> dict[str, Cells]:
    """The columns of figures, each read leniently (any number, a symbol, or blank): those a measure or rate names,
    and any other (not EES's time or geography, not a filter) whose cells are numbers and symbols but a stray few."""
    out: dict[str, Cells] = {}
    for column in rows.columns:
        name = str(column)
        if name not in named and (name.startswith("_") or name.strip().lower() in _NOT_FIGURES or name in filters):
            continue
        cells = read_cells(rows[column], whole=False, signed=True, symbols=declared)
        present = int((~cells.blank).sum())
        # A corrupt figure (`5380x`, `1e3`) still has digits and never makes a column text; words (`Total`) may.
        worded = cells.unreadable & ~rows[column].astype("string").str.contains(r"\d", regex=True).fillna(False).to_numpy(bool)
        if name in named or (cells.number.notna().any() and int(worded.sum()) <= _STRAY * present):
            out[name] = cells
    return out


def rates_not_run(rows: pd.DataFrame, settings: PublishedSettings) -> str:
    """Why `published.rate_inconsistent` had nothing to check ('' when it checked at least one rate)."""
    if not settings.rates:
        return "no rates declared for this source"
    present = [rate for rate in settings.rates if all(c in rows for c in (rate.rate, rate.count, rate.denominator))]
    if not present:
        missing = sorted({c for r in settings.rates for c in (r.rate, r.count, r.denominator) if c not in rows})
        return f"the declared rates' columns are not in this file: {', '.join(missing)}"
    bases = rows[LEVEL].map(settings.base).fillna(1).astype("int64")
    if not any(_inconsistent(rows, rate, bases, settings.symbols)[0].any() for rate in present):
        return "no row has a rate with its count and denominator to check it against"
    return ""


def _duplicates(rows: pd.DataFrame, counted: Sequence[tuple[pd.Series, str]], where: pd.Series,
                settings: PublishedSettings) -> list[tuple[int, CellFinding]]:  # fmt: skip
    """Rows of one cell (period, place, level) that give different figures for a compared column: each row fails."""
    positions = pd.Series(np.arange(len(rows)), index=rows.index)
    compared = rows[LEVEL].isin(PUBLISHED_LEVELS) & rows[GEOGRAPHY].notna()
    out: list[tuple[int, CellFinding]] = []
    for mask, column in counted:
        if column not in rows:
            continue
        chosen = rows.loc[mask.to_numpy(dtype=bool) & compared.to_numpy(dtype=bool)]
        conflict = disagreeing(chosen, readings(settings.cells(chosen[column], whole=True)))
        failing = chosen.loc[conflict]
        if failing.empty:
            continue
        keys = cell_keys(failing)
        texts = failing[column].astype("string").fillna("").map(repr)
        together = texts.groupby([keys[k] for k in keys.columns], sort=False).transform(lambda group: ", ".join(group))
        for label, text, period, place, others in zip(
            failing.index, texts, failing[PERIOD], failing[GEOGRAPHY], together, strict=True
        ):
            cell = f"{column}: {text}; {la_label(str(place))} {period.label} has rows that disagree: {others}"
            out.append((int(positions[label]), CellFinding("published.duplicate", where.loc[label], cell)))
    return out


def _found(check_id: str, mask: pd.Series, rows: pd.DataFrame, where: pd.Series, column: str) -> list[tuple[int, CellFinding]]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    texts = rows[column].astype("string").fillna("")
    return [
        (int(position), CellFinding(check_id, where.iloc[position], f"{column}: {texts.iloc[position]!r}"))
        for position in positions
    ]


def _inconsistent(rows: pd.DataFrame, rate: RateSpec, bases: pd.Series, declared: Declared) -> tuple[pd.Series, pd.Series]:
    """Rows whose rate can be checked, and those whose rate no count in the count's interval can produce, rounded
    to the decimals the cell shows.

    Either rounding of halves is accepted: the count may lie anywhere in [rate - h, rate + h] x D / per.
    """
    rate_cells = read_cells(rows[rate.rate], whole=False)
    low, high = cell_bounds(read_cells(rows[rate.count], whole=True, symbols=declared), bases, count=True, declared=declared)
    denominator = read_cells(rows[rate.denominator], whole=True).number.to_numpy()
    value = rate_cells.number.to_numpy()
    half = 0.5 * np.power(10.0, -rate_cells.decimals.to_numpy())
    scale = denominator / rate.per
    smallest = np.ceil((value - half) * scale - _TOLERANCE * np.maximum(1, value * scale))
    largest = np.floor((value + half) * scale + _TOLERANCE * np.maximum(1, value * scale))
    comparable = ~np.isnan(value) & ~np.isnan(low) & ~np.isnan(denominator) & (denominator > 0)
    with np.errstate(invalid="ignore"):
        possible = np.maximum(smallest, low) <= np.minimum(largest, high)
    return pd.Series(comparable, index=rows.index), pd.Series(comparable & ~possible, index=rows.index)
