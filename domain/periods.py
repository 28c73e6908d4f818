"""Periods: financial years (1 April - 31 March), calendar years, or any explicit start and end.

Lengths are computed from the dates, never from labels: 1 Jan 2022 - 31 Mar 2023 is 15 months.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def from_iso(cls, text: str) -> Period:
        start, end = (dt.date.fromisoformat(part) for part in text.split("/"))
        return cls(start, end)

    @property
    def iso(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def year_label(self) -> str | None:
        """A financial year's label (2022-23) or a calendar year's (2022); None for any other period."""
        if self.start.month == 4 and self.start.day == 1 and self.end == dt.date(self.start.year + 1, 3, 31):
            return f"{self.start.year}-{str(self.end.year)[2:]}"
        if self.start.month == 1 and self.start.day == 1 and self.end == dt.date(self.start.year, 12, 31):
            return str(self.start.year)
        return None

    @property
    def label(self) -> str:
        return self.year_label or f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"

    @property
    def months(self) -> float:
        """Whole calendar months when the period is made of them, otherwise days scaled to months."""
        last_day = calendar.monthrange(self.end.year, self.end.month)[1]
        if self.start.day == 1 and self.end.day == last_day:
            return float((self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1)
        return ((self.end - self.start).days + 1) * 12 / 365.25

    def per_12_months(self, value: float) -> float:
        return value * 12 / self.months

    def overlaps(self, other: Period) -> bool:
        return self.start <= other.end and other.start <= self.end

    def contains(self, dates: pd.Series) -> pd.Series:
        return (dates >= pd.Timestamp(self.start)) & (dates <= pd.Timestamp(self.end))


def financial_year(end_year: int) -> Period:
    return Period(dt.date(end_year - 1, 4, 1), dt.date(end_year, 3, 31))


def calendar_year(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


def periods_for(kind: str, dates: pd.Series) -> list[Period]:
    """Every period of a kind that holds at least one of the dates."""
    known = dates.dropna()
    if known.empty:
        return []
    make = {"financial_year": financial_year, "calendar_year": calendar_year}[kind]
    return [make(int(year)) for year in sorted(period_key(kind, known).unique())]


def periods_spanned(kind: str, dates: pd.Series) -> list[Period]:
    """Every period of a kind from the first date's to the last's, those with no date between included."""
    found = periods_for(kind, dates)
    if not found:
        return []
    make = {"financial_year": financial_year, "calendar_year": calendar_year}[kind]
    first, last = (int(period_key(kind, pd.Series(pd.to_datetime([p.end]))).iloc[0]) for p in (found[0], found[-1]))
    return [make(year) for year in range(first, last + 1)]


def periods_within(kind: str, spans: tuple[Span, ...]) -> list[Period]:
    """Every period of a kind that lies wholly inside the spans."""
    ends = pd.Series(pd.to_datetime([day for start, end in spans for day in (start, end)]))
    return [p for p in periods_spanned(kind, ends) if covers(spans, p)]


def period_key(kind: str, dates: pd.Series) -> pd.Series:
    """The year that names each date's period: the ending year for financial years."""
    if kind == "financial_year":
        return dates.dt.year + (dates.dt.month >= 4).astype("int64")
    if kind == "calendar_year":
        return dates.dt.year
    raise ValueError(kind)


# --- what a source covers ---------------------------------------------------------------------------------------
# A source's coverage is the spans of dates it can have deaths for: a CIN census covers its collection year, a
# return declared with `coverage:` the span declared. A period is counted for a source only inside its coverage;
# an empty coverage means not known (every period, a year with no death being a zero).
Span = tuple[dt.date, dt.date]  # first and last day, inclusive


def census_year(reference_date: dt.date) -> Span:
    """The collection year a census dated `reference_date` covers: the 12 months ending on it (DfE: 1 April to 31 March)."""
    end = reference_date
    try:
        start = end.replace(year=end.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February: the year before has none
        start = dt.date(end.year - 1, 3, 1)
    return start, end


def merged_spans(spans: list[Span] | tuple[Span, ...]) -> tuple[Span, ...]:
    """Spans sorted, with overlapping or adjoining ones (one ends the day before the next starts) made one."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + dt.timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def covers(spans: tuple[Span, ...], period: Period) -> bool:
    """Whether a source with this coverage can count the whole period (an empty coverage: not known, so yes)."""
    return not spans or any(start <= period.start and period.end <= end for start, end in spans)


def spans_label(spans: tuple[Span, ...]) -> str:
    return ", ".join(Period(start, end).label for start, end in spans)
