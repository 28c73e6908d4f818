"""Published EES rows -> rows that know their period, geography and level, worked out once here.

The period comes from `period_start`/`period_end` when given, else from `time_period` and
`time_identifier`; the geography is England, the region's name, or the LA's ONS code.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..domain.dates import parse_dates
from ..domain.geography import ENGLAND
from ..domain.periods import Period, calendar_year, financial_year
from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN

PERIOD, GEOGRAPHY, LEVEL = "_period", "_geography", "_level"  # columns added to the raw published frame
# DfE rounds national and regional counts to the nearest 10; LA figures are unrounded.
DEFAULT_ROUNDING = {"national": 10, "regional": 10, "local authority": 1}


def published_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw frame with each row's Period, geography and lower-cased EES level added."""
    frame = raw.copy()
    frame[LEVEL] = frame["geographic_level"].astype("string").str.strip().str.lower().astype(object)
    frame[PERIOD] = _periods(frame)
    frame[GEOGRAPHY] = _geographies(frame)
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


def _geographies(frame: pd.DataFrame) -> pd.Series:
    level = frame[LEVEL]
    region = _first_present(frame, ("region_name", "region_code"))
    local = _first_present(frame, ("new_la_code", "old_la_code", "la_name"))
    geography = local.where(level != "regional", region)
    return geography.where(level != "national", ENGLAND).astype(object)
