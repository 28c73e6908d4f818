"""Published aggregate counts in the EES open-data format (extract-formats.md section 5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..dates import parse_dates
from ..errors import InputError
from ..reconcile.periods import Period, calendar_year, financial_year
from .tables import FILE_COLUMN, LINE_COLUMN, read_table

REQUIRED = ("time_period", "time_identifier", "geographic_level")
# DfE rounds national and regional counts to the nearest 10; LA figures are unrounded.
DEFAULT_ROUNDING = {"national": 10, "regional": 10, "local authority": 1}


def read_published(paths: Iterable[str | Path], column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = read_table(path, expected_columns=REQUIRED, column_map=column_map)
        absent = [c for c in REQUIRED if c not in frame.columns]
        if absent:
            raise InputError(f"not an EES open-data file: no {', '.join(absent)} column", path=path, where="line 1")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def row_period(row: Mapping[str, object]) -> Period:
    """The period a published row covers; period_start/period_end win over time_identifier."""
    where = f"line {row[LINE_COLUMN]}"
    if pd.notna(row.get("period_start")) and pd.notna(row.get("period_end")):
        parsed = parse_dates(pd.Series([row["period_start"], row["period_end"]], dtype=object))
        if parsed.unreadable.any():
            raise InputError("period_start/period_end is not a date", path=row[FILE_COLUMN], where=where)
        start, end = (value.date() for value in parsed.values)
        return Period(start, end)
    text = str(row["time_period"]).strip()
    identifier = str(row["time_identifier"]).strip().lower()
    if not text.isdigit() or len(text) not in (4, 6):
        raise InputError(f"time_period {text!r} is not YYYY or YYYYYY", path=row[FILE_COLUMN], where=where)
    end_year = int(text[:4]) + 1 if len(text) == 6 else int(text)
    if identifier in ("reporting year", "financial year") or "financial year" in identifier:
        return financial_year(end_year)
    if identifier == "calendar year":
        return calendar_year(int(text[:4]))
    if identifier == "academic year":
        return Period(dt.date(int(text[:4]), 9, 1), dt.date(int(text[:4]) + 1, 8, 31))
    raise InputError(
        f"time_identifier {row['time_identifier']!r} is not supported; give period_start and period_end",
        path=row[FILE_COLUMN],
        where=where,
    )


def row_geography(row: Mapping[str, object]) -> str:
    level = str(row["geographic_level"]).strip().lower()
    if level == "national":
        return "England"
    if level == "regional":
        return str(row.get("region_name") or row.get("region_code"))
    return str(row.get("new_la_code") or row.get("old_la_code") or row.get("la_name"))
