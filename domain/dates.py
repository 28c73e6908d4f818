"""The project's one date parser: YYYY-MM-DD or dd/mm/yyyy, vectorised, never silently coercing.

A value that is present but not a real calendar date is reported as unreadable, so callers
can raise `date.unparseable` instead of treating it as missing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$"
_UK = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?$"
DATE_DTYPE = "datetime64[s]"
ENGLAND_TIME_ZONE = "Europe/London"  # the date of an instant (a timestamp with a time zone) is England's


@dataclass(frozen=True)
class ParsedDates:
    values: pd.Series  # datetime64[s], NaT where blank or unreadable
    blank: pd.Series  # bool: nothing recorded
    unreadable: pd.Series  # bool: something recorded that is not a date


def blank_mask(raw: pd.Series) -> pd.Series:
    text = raw.astype("string")
    return (text.isna() | (text.str.strip() == "")).fillna(True).astype(bool)


def parse_dates(raw: pd.Series) -> ParsedDates:
    """Each distinct value is parsed once: a national file repeats a few thousand dates a million times."""
    codes, distinct = pd.factorize(raw.astype("string"), use_na_sentinel=True)
    parsed_distinct = _parse_distinct(pd.Series(distinct, dtype="string"))
    has_value = codes >= 0
    take = np.where(has_value, codes, 0)
    values = np.full(len(raw), np.datetime64("NaT"), dtype=DATE_DTYPE)
    blank = np.ones(len(raw), dtype=bool)
    unreadable = np.zeros(len(raw), dtype=bool)
    if len(distinct):
        values[has_value] = parsed_distinct.values.to_numpy()[take[has_value]]
        blank[has_value] = parsed_distinct.blank.to_numpy()[take[has_value]]
        unreadable[has_value] = parsed_distinct.unreadable.to_numpy()[take[has_value]]
    index = raw.index
    return ParsedDates(
        values=pd.Series(values, index=index, dtype=DATE_DTYPE),
        blank=pd.Series(blank, index=index),
        unreadable=pd.Series(unreadable, index=index),
    )


def _parse_distinct(raw: pd.Series) -> ParsedDates:
    text = raw.astype("string").str.strip()
    blank = blank_mask(raw)
    iso = text.str.extract(_ISO)
    uk = text.str.extract(_UK)
    year = pd.to_numeric(iso[0].fillna(uk[2])).to_numpy(dtype="float64", na_value=np.nan)
    month = pd.to_numeric(iso[1].fillna(uk[1])).to_numpy(dtype="float64", na_value=np.nan)
    day = pd.to_numeric(iso[2].fillna(uk[0])).to_numpy(dtype="float64", na_value=np.nan)

    shaped = ~np.isnan(year) & ~np.isnan(month) & ~np.isnan(day)
    month_ok = shaped & (month >= 1) & (month <= 12) & (year >= 1000)
    safe_year = np.where(month_ok, year, 2000).astype("int64")
    safe_month = np.where(month_ok, month, 1).astype("int64")
    month_start = ((safe_year - 1970) * 12 + (safe_month - 1)).astype("datetime64[M]")
    first_day = month_start.astype("datetime64[D]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - first_day).astype("int64")
    valid = month_ok & (day >= 1) & (day <= days_in_month)
    safe_day = np.where(valid, day, 1).astype("int64")
    parsed = (first_day + (safe_day - 1)).astype(DATE_DTYPE)
    parsed[~valid] = np.datetime64("NaT")

    index = raw.index
    return ParsedDates(
        values=pd.Series(parsed, index=index, dtype=DATE_DTYPE),
        blank=pd.Series(blank.to_numpy(), index=index),
        unreadable=pd.Series(~blank.to_numpy() & ~valid, index=index),
    )


_ISO_RE = re.compile(_ISO)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK_RE = re.compile(_UK)


def order_key(text: str) -> tuple[int, int, int]:
    """(year, month, day) for ordering single values in the same formats; (0, 0, 0) when unreadable.

    Readers use it where a whole-column parse is not possible, such as choosing a child's latest plan.
    """
    iso = _ISO_RE.match(text.strip())
    if iso:
        return int(iso[1]), int(iso[2]), int(iso[3])
    uk = _UK_RE.match(text.strip())
    if uk:
        return int(uk[3]), int(uk[2]), int(uk[1])
    return 0, 0, 0


def unreadable_mask(raw: pd.Series) -> pd.Series:
    return parse_dates(raw).unreadable


def iso_day(text: str) -> dt.date | None:
    """A day written exactly YYYY-MM-DD (an expiry, a sign-off date), or None: no other form, no time of day."""
    text = text.strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:  # 2027-02-30
        return None


def parse_one(text: str) -> np.datetime64 | None:
    """Parse a single date from a command line or config; None when unreadable."""
    parsed = parse_dates(pd.Series([text], dtype="string"))
    return None if bool(parsed.unreadable.iloc[0] or parsed.blank.iloc[0]) else parsed.values.iloc[0]
