"""Published EES rows -> rows that know their period, geography and level, worked out once here.

The period comes from `period_start`/`period_end` when given, else from `time_period` and
`time_identifier`; the geography is England, the region's name, or the LA's ONS code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..domain.cells import Cells, cell_bounds, read_cells
from ..domain.dates import parse_dates
from ..domain.geography import ENGLAND, to_ons_code
from ..domain.periods import Period, calendar_year, financial_year
from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN

PERIOD, GEOGRAPHY, LEVEL, CODE = "_period", "_geography", "_level", "_code"  # columns added to the raw frame


@dataclass(frozen=True)
class RateSpec:
    """A published rate column and the columns it is computed from: rate = count / denominator * per."""

    rate: str
    count: str
    denominator: str
    per: float


@dataclass(frozen=True)
class PublishedSettings:
    """What a published source declares: its rounding base per geographic level (empty: exact), its rates, and
    what its symbols mean (`symbols: {c: [1, 5]}`: symbol in lower case -> the inclusive counts it may hide).

    A symbol not declared keeps EES's reading: `c` is at least 1 with no upper bound."""

    rounding: Mapping[str, int] = field(default_factory=dict)
    rates: tuple[RateSpec, ...] = ()
    symbols: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def base(self, level: str) -> int:
        return self.rounding.get(level, 1)

    def cells(self, raw: pd.Series, *, whole: bool, signed: bool = False) -> Cells:
        """A column's cells read as this source writes them: its declared symbols are what it says they are."""
        return read_cells(raw, whole=whole, signed=signed, symbols=self.symbols)

    def count_bounds(self, cells: Cells, levels: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Each count cell as [low, high]: its rounding base by geographic level, its declared symbols' counts."""
        return cell_bounds(cells, levels.map(self.base).fillna(1).astype("int64"), count=True, declared=self.symbols)


@dataclass(frozen=True)
class DenominatorOptions:
    """A population table in EES shape (`kind: denominator`): `value` names its population column."""

    name: str
    paths: tuple[Path, ...]
    columns: Mapping[str, str]
    value: str
    filter: Mapping[str, str] = field(default_factory=dict)
    # True: each `time_period` YYYY is a mid-year estimate (30 June YYYY); False: each row is the population of the
    # period its time identifier names; None: not declared (read from the time identifier, `denominator_rows`).
    mid_year: bool | None = None


def published_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw frame with each row's Period, geography and lower-cased EES level added."""
    frame = raw.copy()
    frame[LEVEL] = frame["geographic_level"].astype("string").str.strip().str.lower().astype(object)
    frame[PERIOD] = _periods(frame)
    frame[GEOGRAPHY] = _geographies(frame)
    frame[CODE] = _codes(frame)
    return frame


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[column].astype("string")


def _periods(frame: pd.DataFrame) -> pd.Series:
    columns = ("period_start", "period_end", "time_period", "time_identifier")
    keys = pd.DataFrame({name: _text(frame, name) for name in columns}).fillna("")
    # Each distinct combination is worked out once (a national file has a handful), in file order.
    firsts = keys.drop_duplicates()
    periods = {
        tuple(key): _period(*(value or None for value in key), frame.loc[label])
        for label, key in zip(firsts.index, firsts.itertuples(index=False, name=None), strict=True)
    }
    return pd.Series(list(map(periods.__getitem__, keys.itertuples(index=False, name=None))), index=frame.index, dtype=object)


def _period(start: object, end: object, time_period: object, identifier: object, row: pd.Series) -> Period:
    where = f"line {row[LINE_COLUMN]}"
    if start is not None and end is not None:
        parsed = parse_dates(pd.Series([start, end], dtype=object))
        if parsed.unreadable.any():
            raise InputError("period_start/period_end is not a date", path=row[FILE_COLUMN], where=where)
        first, last = (value.date() for value in parsed.values)
        return Period(first, last)
    text = str(time_period).strip()
    kind = str(identifier).strip().lower()
    if not text.isdigit() or len(text) not in (4, 6):
        raise InputError(f"time_period {text!r} is not YYYY or YYYYYY", path=row[FILE_COLUMN], where=where)
    end_year = int(text[:4]) + 1 if len(text) == 6 else int(text)
    if kind in ("reporting year", "financial year") or "financial year" in kind:
        return financial_year(end_year)
    if kind == "calendar year":
        return calendar_year(int(text[:4]))
    if kind == "academic year":
        return Period(dt.date(int(text[:4]), 9, 1), dt.date(int(text[:4]) + 1, 8, 31))
    raise InputError(
        f"time_identifier {identifier!r} is not supported; give period_start and period_end", path=row[FILE_COLUMN], where=where
    )


def _first_present(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The first non-blank of several columns, as the text the file wrote ('None' when all are blank)."""
    found = pd.Series(None, index=frame.index, dtype=object)
    for column in columns:
        if column in frame:
            found = found.where(found.notna(), frame[column].astype(object))
    return found.astype(str)


def _la_codes(frame: pd.DataFrame) -> pd.Series:
    """Each row's ONS LA code: `new_la_code` as written, else DfE's 3-digit `old_la_code` mapped through the
    shipped LA list (None where neither gives one)."""
    new = _text(frame, "new_la_code").astype(object)
    return new.where(new.notna(), to_ons_code(_text(frame, "old_la_code"))).where(lambda s: s.notna(), None)


def old_code_alone(rows: pd.DataFrame) -> pd.Series:
    """LA rows that name their place by DfE's `old_la_code` alone (no `new_la_code`)."""
    only_old = _text(rows, "new_la_code").isna() & _text(rows, "old_la_code").notna()
    return (only_old & (rows[LEVEL] == "local authority")).fillna(False).astype(bool)


def unmapped_old_codes(rows: pd.DataFrame) -> pd.Series:
    """LA rows named by an `old_la_code` alone that the shipped LA list lacks (`invalid.old_la_code`)."""
    return old_code_alone(rows) & _la_codes(rows).isna().to_numpy(dtype=bool)


def _codes(frame: pd.DataFrame) -> pd.Series:
    """The ONS code of each row's place where the file gives one (E92 England, E12 region, E13 Inner/Outer London, LA)."""
    level = frame[LEVEL]
    region = _text(frame, "region_code").astype(object)
    code = _la_codes(frame).where(level != "regional", region).where(level != "national", "E92000001")
    return code.where(code.notna(), None).astype(object)


def _geographies(frame: pd.DataFrame) -> pd.Series:
    level = frame[LEVEL]
    region = _first_present(frame, ("region_name", "region_code"))
    named = pd.DataFrame({"code": _la_codes(frame), "la_name": _text(frame, "la_name").astype(object)}, index=frame.index)
    # An old code the list lacks is an unknown place, not a new one: it is reported and never compared.
    local = _first_present(named, ("code", "la_name")).where(~unmapped_old_codes(frame), None)
    geography = local.where(level != "regional", region)
    return geography.where(level != "national", ENGLAND).astype(object)


def cell_keys(rows: pd.DataFrame) -> pd.DataFrame:
    """What makes two rows the same published cell: period, place and level. A row whose place is unknown (an
    unmapped old LA code) is a key of its own."""
    place = rows[GEOGRAPHY].astype(object)
    place = place.where(place.notna(), "#line " + rows[LINE_COLUMN].astype(str) + " " + rows[FILE_COLUMN].astype(str))
    return pd.DataFrame({"period": pd.factorize(rows[PERIOD])[0], "place": place, "level": rows[LEVEL]}, index=rows.index)


def disagreeing(rows: pd.DataFrame, said: pd.Series) -> pd.Series:
    """Rows that share their cell (`cell_keys`) with a row saying something else (`published.duplicate`)."""
    if rows.empty:
        return pd.Series(False, index=rows.index)
    keys = cell_keys(rows)
    counts = keys.assign(said=said).groupby(list(keys.columns), sort=False, dropna=False)["said"].transform("nunique")
    return (counts > 1).astype(bool)


MID_YEAR, POPULATION = "_mid_year", "_population"
DENOMINATOR, WHAT = "_denominator", "_what"  # the denominator source's name; what it counts, in words
_SINGLE_YEAR = ("calendar year", "reporting year")  # a YYYY of these may be a mid-year estimate or the year's population


def denominator_rows(raw: pd.DataFrame, options: DenominatorOptions) -> pd.DataFrame:
    """A population table's rows that pass its filter, with its geography and either the mid-year it estimates
    (`MID_YEAR`, a date) or the period it counts (`PERIOD`, when MID_YEAR is None).

    Every EES time identifier is read as the published tables read it (`_period`): `202122` Financial year is
    April 2021 - March 2022 (DfE's "children in need during the year"). `mid_year: true` (the default for the
    shipped ONS table) reads `time_period` YYYY as the estimate for 30 June YYYY (ONS's convention). Undeclared,
    a two-year period, a financial or academic year, or period_start/period_end is that period's population; a
    single calendar or reporting year YYYY is refused, as it is either (ONS labels its mid-year estimates with
    a year; DfE's reporting year 2022 is 2021-22): the source must say `mid_year: true` or `mid_year: false`.
    """
    from ..domain.cells import read_cells

    frame = raw
    for column, wanted in options.filter.items():
        if column not in frame:
            raise InputError(f"denominator {options.name}: no column {column!r} to filter on", path=_file(raw), where="line 1")
        frame = frame.loc[frame[column].astype("string").str.strip().str.casefold() == wanted.strip().casefold()]
    if options.value not in frame:
        raise InputError(f"denominator {options.name}: no column {options.value!r} (value:)", path=_file(raw), where="line 1")
    frame = frame.copy()
    cells = read_cells(frame[options.value], whole=True)
    if cells.unreadable.any():
        row = frame.loc[cells.unreadable].iloc[0]
        raise InputError(f"population {row[options.value]!r} in {options.value} is not a whole number",
                         path=row[FILE_COLUMN], where=f"line {row[LINE_COLUMN]}")  # fmt: skip
    frame[LEVEL] = frame["geographic_level"].astype("string").str.strip().str.lower().astype(object)
    frame[GEOGRAPHY] = _geographies(frame)
    if options.mid_year:
        frame[MID_YEAR] = _mid_years(frame, options)
        frame[PERIOD] = None
    else:
        if options.mid_year is None:
            _refuse_ambiguous(frame, options)
        frame[MID_YEAR] = None
        frame[PERIOD] = _periods(frame) if len(frame) else pd.Series(dtype=object)
    frame[POPULATION] = cells.number.to_numpy()
    frame[DENOMINATOR] = options.name
    frame[WHAT] = denominator_words(options)
    return frame.loc[frame[POPULATION].notna()]


def denominator_words(options: DenominatorOptions) -> str:
    """What a denominator counts, for its label: its filter's values ('children in need'), else 'population'."""
    words = ", ".join(str(value).strip() for value in options.filter.values() if str(value).strip())
    if not words:
        return "population"
    first = words.split()[0]
    return words if first.isupper() and len(first) > 1 else words[0].lower() + words[1:]  # 'ONS ...' keeps its capitals


def _mid_years(frame: pd.DataFrame, options: DenominatorOptions) -> pd.Series:
    years = frame["time_period"].astype("string").str.strip()
    bad = ~years.str.fullmatch(r"\d{4}").fillna(False)
    if bad.any():
        row = frame.loc[bad].iloc[0]
        text = str(row["time_period"]).strip()
        hint = (f"{text} is a two-year period, the population of {text[:4]}-{text[4:]}: drop `mid_year: true` to use it "
                f"for counts of that period" if re.fullmatch(r"\d{6}", text) else "give the year of the estimate, YYYY")
        raise InputError(f"denominator {options.name} (mid_year: true): time_period {text!r} is not the year of a mid-year "
                         f"estimate (YYYY, for 30 June); {hint}", path=row[FILE_COLUMN], where=f"line {row[LINE_COLUMN]}")  # fmt: skip
    return years.map({year: dt.date(int(year), 6, 30) for year in years.unique()}).astype(object)


def _refuse_ambiguous(frame: pd.DataFrame, options: DenominatorOptions) -> None:
    """A single year that may be a mid-year estimate or a year's population, when the source does not say which."""
    dated = _text(frame, "period_start").notna() & _text(frame, "period_end").notna()
    years = _text(frame, "time_period").str.strip()
    kinds = _text(frame, "time_identifier").str.strip().str.lower().fillna("")
    single = ~dated & years.str.fullmatch(r"\d{4}").fillna(False) & (kinds.isin(_SINGLE_YEAR) | (kinds == ""))
    if not single.any():
        return
    row = frame.loc[single].iloc[0]
    year = str(row["time_period"]).strip()
    label = str(row.get("time_identifier", "") or "").strip() if "time_identifier" in frame else ""
    if not label:
        read_as = "the population of a period (give time_identifier, or period_start and period_end)"
    else:
        period = calendar_year(int(year)) if label.lower() == "calendar year" else financial_year(int(year))
        read_as = f"the population of {period.label}"
    raise InputError(
        f"denominator {options.name}: time_period {year!r}{f' ({label})' if label else ''} may be a mid-year estimate (30 June "
        f"{year}) or {read_as}; say which in the run config: `mid_year: true` or `mid_year: false`",
        path=row[FILE_COLUMN], where=f"line {row[LINE_COLUMN]}",
    )


def _file(raw: pd.DataFrame) -> str:
    return str(raw[FILE_COLUMN].iloc[0]) if len(raw) else "denominator"
