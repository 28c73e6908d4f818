"""Reconciliation: bridge every source to the harmonised definition, then compare, link and trend."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..geography import la_field, la_lookup, region_of
from ..readers.published import DEFAULT_ROUNDING, row_geography, row_period
from ..validate import CheckedSource
from .bridge import build_bridge, harmonised, select_records
from .intervals import Interval, from_published
from .linkage import LEFT, RIGHT, link
from .measures import CompareSpec, Measure, selected_sources, sources_named
from .model import Bridge, CoherenceCheck, Comparison, MatchedPair, ReconcileResult, SeriesPoint, TrendFlag, Unmatched
from .periods import Period, period_key, periods_for

ENGLAND = "England"
GEOGRAPHY_LEVELS = ("england", "region", "local_authority")
# EES geographic_level values and the level each is compared at; other levels are not compared.
PUBLISHED_LEVELS = {"national": "england", "regional": "region", "local authority": "local_authority"}
Values = dict[tuple[Period, str], Interval | None]


@dataclass(frozen=True)
class PublishedSource:
    name: str
    frame: pd.DataFrame
    rounding: Mapping[str, int]


def reconcile(
    checked: Mapping[str, CheckedSource],
    published: Mapping[str, PublishedSource],
    measures: Sequence[Measure],
    *,
    link_days: int = 7,
    geographies: Sequence[str] = GEOGRAPHY_LEVELS,
    reference_date: dt.date | None = None,
) -> ReconcileResult:
    """Compare every measure across sources; periods not yet over at the reference date are not reported."""
    kinds = {name: source.result.kind for name, source in checked.items()} | {name: "published" for name in published}
    comparisons: list[Comparison] = []
    bridges: list[Bridge] = []
    unmatched: list[Unmatched] = []
    trends: list[TrendFlag] = []
    coherence: list[CoherenceCheck] = []
    series: list[SeriesPoint] = []
    notes: list[str] = []
    for measure in measures:
        values: dict[str, Values] = {}
        records: dict[str, pd.DataFrame] = {}
        selectors = selected_sources(measure, kinds)
        selected = {
            name: select_records(checked[name].deaths, selector.where) for name, selector in selectors.items() if name in checked
        }
        # Every record-level source is counted over the same periods: a year with no deaths in one
        # source but deaths in another is a zero to compare, not a year to skip.
        periods = sorted(set().union(*(_periods(measure, frame, reference_date) for frame in selected.values())))
        for name, selector in selectors.items():
            if name in selected:
                records[name] = harmonised(selected[name])
                for period in periods:
                    bridges.append(build_bridge(name, measure.id, selected[name], period))
                values[name] = _counts(records[name], periods, geographies)
            else:
                found = _published_values(
                    published[name], selector.filter, selector.value, notes, measure.id, reference_date, geographies
                )
                if found is not None:
                    values[name] = found
                    coherence += _coherence(name, measure.id, published[name], selector.filter, selector.value)
        for spec in measure.compare:
            for left in _names(spec.left, kinds, values):
                for right in _names(spec.right, kinds, values):
                    if left == right:
                        continue
                    pair = _compare_pair(measure, spec, left, right, values[left], values[right], records.keys())
                    if left in records and right in records:
                        links = _unmatched(measure, left, right, records[left], records[right], link_days, periods)
                        unmatched += links
                        pair = [_explain(c, links) for c in pair]
                    comparisons += pair
        series += _series(measure.id, values)
        if len(measure.trend) == 2:
            trend = _trend(measure, measure.trend, kinds, values)
            if trend is not None:
                trends.append(trend)
    return ReconcileResult(
        tuple(comparisons), tuple(bridges), tuple(unmatched), tuple(trends), tuple(coherence), tuple(notes), tuple(series)
    )


def _series(measure: str, values: Mapping[str, Values]) -> list[SeriesPoint]:
    out = []
    for name, by_key in values.items():
        for (period, geography), value in sorted(by_key.items(), key=lambda item: item[0][0]):
            if geography == ENGLAND:
                rate = value.scale(12 / period.months) if value is not None else None
                out.append(SeriesPoint(measure, name, period.iso, period.label, value, rate))
    return out


def _periods(measure: Measure, selected: pd.DataFrame, reference_date: dt.date | None) -> list[Period]:
    if measure.explicit_period is not None:
        return [measure.explicit_period]
    dates = pd.concat([selected["headline_date"], selected["date_of_death"]])
    periods = periods_for(measure.period_kind, dates)
    # A period still open at the reference date is incomplete: its count would be compared as if whole.
    return [p for p in periods if reference_date is None or p.end <= reference_date]


def _counts(records: pd.DataFrame, periods: list[Period], levels: Sequence[str]) -> Values:
    """Deaths per period and geography; every geography a source covers gets a value, zero included."""
    keys = []
    if "region" in levels:
        keys.append(region_of(records["la_code"]))
    if "local_authority" in levels:
        keys.append(records["la_code"])
    values: Values = {}
    for period in periods:
        inside = period.contains(records["date_of_death"])
        values[(period, ENGLAND)] = Interval.exact(int(inside.sum()))
        for key in keys:
            counts = key[inside].value_counts()
            for geography in key.dropna().unique():
                values[(period, str(geography))] = Interval.exact(int(counts.get(geography, 0)))
    return values


def _published_values(
    source: PublishedSource,
    filters: Mapping[str, str],
    value: str,
    notes: list[str],
    measure: str,
    reference_date: dt.date | None,
    geographies: Sequence[str],
) -> Values | None:
    frame = source.frame
    absent = [c for c in (*filters, value) if c not in frame.columns]
    if absent:
        notes.append(f"{source.name}: not used for {measure}; it has no {', '.join(absent)} column")
        return None
    values: Values = {}
    for row in _filtered(frame, filters).to_dict("records"):
        if PUBLISHED_LEVELS.get(str(row["geographic_level"]).strip().lower()) not in geographies:
            continue
        key = (row_period(row), row_geography(row))
        if reference_date is not None and key[0].end > reference_date:
            continue
        if key in values:
            notes.append(f"{source.name}: several rows match {measure} for {key[1]} {key[0].label}; the first is used")
            continue
        level = str(row["geographic_level"]).strip().lower()
        values[key] = from_published(row[value], source.rounding.get(level, DEFAULT_ROUNDING.get(level, 1)))
    if not values:
        notes.append(f"{source.name}: no rows match the filter for {measure}")
        return None
    return values


def _filtered(frame: pd.DataFrame, filters: Mapping[str, str]) -> pd.DataFrame:
    """Rows of a published file whose filter columns match, ignoring case and padding."""
    mask = pd.Series(True, index=frame.index)
    for column, wanted in filters.items():
        mask &= frame[column].astype("string").str.strip().str.casefold() == wanted.strip().casefold()
    return frame.loc[mask.fillna(False).astype(bool)]


def _coherence(name: str, measure: str, source: PublishedSource, filters: Mapping[str, str], value: str) -> list[CoherenceCheck]:
    """Sums of published parts against their whole: regions and LAs against England, LAs against their region.

    A part that is not available ('x', 'z') could be anything, so it counts as [0, unbounded].
    """
    wholes: dict[tuple[Period, str], Interval] = {}
    parts: dict[tuple[Period, str, str], list[Interval]] = defaultdict(list)  # period, whole, level of the parts
    la_region = la_field("region_name")
    for row in _filtered(source.frame, filters).to_dict("records"):
        level = str(row["geographic_level"]).strip().lower()
        if level not in PUBLISHED_LEVELS:
            continue
        interval = from_published(row[value], source.rounding.get(level, DEFAULT_ROUNDING.get(level, 1)))
        interval = interval if interval is not None else Interval(0, math.inf)
        period, place = row_period(row), row_geography(row)
        if level != "local authority":
            wholes[(period, place)] = interval
        if level != "national":
            parts[(period, ENGLAND, level)].append(interval)
        if level == "local authority" and place in la_region:
            parts[(period, la_region[place], level)].append(interval)
    # How many parts a whole has; a file listing fewer leaves the sum open above (a missing LA is unknown, not 0).
    lookup = la_lookup()
    expected = {(ENGLAND, "regional"): lookup["region_name"].nunique(), (ENGLAND, "local authority"): len(lookup)}
    expected |= {(region, "local authority"): count for region, count in lookup["region_name"].value_counts().items()}
    out: list[CoherenceCheck] = []
    for (period, place, level), pieces in parts.items():
        whole = wholes.get((period, place))
        if whole is None:
            continue
        total = sum(pieces[1:], pieces[0])
        if len(pieces) < expected.get((place, level), 0):
            total = Interval(total.low, math.inf)
        coherent = total.low <= whole.high and whole.low <= total.high
        out.append(CoherenceCheck(name, measure, period.iso, place, level, whole, total, coherent))
    return out


def _names(wanted: str, kinds: Mapping[str, str], values: Mapping[str, Values]) -> list[str]:
    return [name for name in sources_named(wanted, kinds) if name in values]


def _compare_pair(
    measure: Measure, spec: CompareSpec, left: str, right: str, lv: Values, rv: Values, record_level: Iterable[str]
) -> list[Comparison]:
    """Every comparable period pair and every geography either source reports.

    A record-level source that reports a period but has no death in a geography has a true zero
    there; a published source that has no row for it has no value, so that geography is skipped.
    """
    complete = set(record_level)
    geographies = sorted({g for _, g in lv} | {g for _, g in rv}, key=lambda g: (g != ENGLAND, g))
    out = []
    for lp in sorted({p for p, _ in lv}):
        for rp in sorted({p for p, _ in rv}):
            if not _comparable_periods(lp, rp):
                continue
            for geography in geographies:
                left_value = _value(lv, lp, geography, left in complete)
                right_value = _value(rv, rp, geography, right in complete)
                if left_value is _ABSENT or right_value is _ABSENT:
                    continue
                out.append(_compare(measure, spec, left, right, lp, rp, geography, left_value, right_value))
    return out


_ABSENT = object()


def _value(values: Values, period: Period, geography: str, record_level: bool) -> Interval | object | None:
    if (period, geography) in values:
        return values[(period, geography)]
    return Interval.exact(0) if record_level else _ABSENT


def _comparable_periods(a: Period, b: Period) -> bool:
    if a == b:
        return True
    if not a.overlaps(b):
        return False
    shared = (min(a.end, b.end) - max(a.start, b.start)).days + 1
    shorter = min((a.end - a.start).days, (b.end - b.start).days) + 1
    return shared >= shorter / 2


def _compare(measure: Measure, spec: CompareSpec, left: str, right: str, lp: Period, rp: Period, geography: str,
             left_value: Interval | None, right_value: Interval | None) -> Comparison:  # fmt: skip
    left_rate = left_value.scale(12 / lp.months) if left_value else None
    right_rate = right_value.scale(12 / rp.months) if right_value else None
    same_length = abs(lp.months - rp.months) < 0.01
    compared_left, compared_right = (left_value, right_value) if same_length else (left_rate, right_rate)
    status, difference = "not_comparable", None
    if compared_left is not None and compared_right is not None:
        difference = compared_left - compared_right
        status = _status(difference, compared_left, compared_right, spec)
    return Comparison(
        measure=measure.id,
        period=lp.iso,
        period_label=lp.label,
        geography=geography,
        left=left,
        right=right,
        left_value=left_value,
        right_value=right_value,
        left_period=lp.iso,
        right_period=rp.iso,
        left_per_12_months=left_rate,
        right_per_12_months=right_rate,
        difference=difference,
        relation=spec.relation,
        tolerance=dict(spec.tolerance),
        status=status,
    )


def _status(difference: Interval, left: Interval, right: Interval, spec: CompareSpec) -> str:
    if spec.relation == "==":
        gap = 0.0 if difference.contains(0) else min(abs(difference.low), abs(difference.high))
        exact_agreement = difference.low == difference.high == 0
    elif spec.relation == ">=":
        gap = max(0.0, -difference.high)
        exact_agreement = difference.low >= 0
    else:
        gap = max(0.0, difference.low)
        exact_agreement = difference.high <= 0
    scale = max(left.midpoint, right.midpoint, 0.0)
    allowed = max(spec.tolerance.get("abs", 0.0), spec.tolerance.get("rel", 0.0) * scale)
    if gap == 0 and (exact_agreement or not (left.is_exact and right.is_exact)):
        return "agree"
    return "within_tolerance" if gap <= allowed else "discrepancy"


def _unmatched(
    measure: Measure, left: str, right: str, lr: pd.DataFrame, rr: pd.DataFrame, days: int, periods: Sequence[Period]
) -> list[Unmatched]:
    links = link(lr, rr, death_date_days=days)
    pairs = links.pairs
    left_death = pd.Series(lr.loc[pairs[LEFT], "date_of_death"].to_numpy(), dtype="datetime64[s]")
    right_death = pd.Series(rr.loc[pairs[RIGHT], "date_of_death"].to_numpy(), dtype="datetime64[s]")
    left_ids = lr.loc[pairs[LEFT], "record_id"].astype(str).to_numpy()
    right_ids = rr.loc[pairs[RIGHT], "record_id"].astype(str).to_numpy()
    linked_on = pairs["linked_on"].astype(str).to_numpy()
    # A shift is a pair whose two death dates fall in different periods of the measure's kind.
    if measure.period_kind == "explicit":
        different_period = np.ones(len(pairs), dtype=bool)
    else:
        different_period = (
            period_key(measure.period_kind, left_death) != period_key(measure.period_kind, right_death)
        ).to_numpy()
    out = []
    for period in periods:
        in_left = period.contains(left_death).to_numpy()
        in_right = period.contains(right_death).to_numpy()
        shifted = (in_left != in_right) & different_period
        only_left = lr.loc[links.only_left]
        only_right = rr.loc[links.only_right]
        out.append(
            Unmatched(
                left=left,
                right=right,
                measure=measure.id,
                period=period.iso,
                period_label=period.label,
                matched=int((in_left & in_right).sum()),
                period_shifts=tuple(
                    MatchedPair(str(a), str(b), str(on), True)
                    for a, b, on in zip(left_ids[shifted], right_ids[shifted], linked_on[shifted], strict=True)
                ),
                only_left=tuple(only_left.loc[period.contains(only_left["date_of_death"]), "record_id"].astype(str)),
                only_right=tuple(only_right.loc[period.contains(only_right["date_of_death"]), "record_id"].astype(str)),
            )
        )
    return out


def _explain(comparison: Comparison, links: list[Unmatched]) -> Comparison:
    if comparison.geography != ENGLAND or comparison.status in ("agree", "not_comparable"):
        return comparison
    match = next((u for u in links if u.period == comparison.period), None)
    if match is None:
        return comparison
    return replace(
        comparison,
        only_left=len(match.only_left),
        only_right=len(match.only_right),
        period_shifts=len(match.period_shifts),
    )


def _trend(measure: Measure, pair: Sequence[str], kinds: Mapping[str, str], values: Mapping[str, Values]) -> TrendFlag | None:
    """Direction of each source's rate per 12 months, first to last period, over the span both cover."""
    series = []
    for wanted in pair:
        names = _names(wanted, kinds, values)
        if not names:
            return None
        points = sorted((p, v) for (p, g), v in values[names[0]].items() if g == ENGLAND and v is not None)
        series.append((names[0], points))
    if any(not points for _, points in series):
        return None
    window_start = max(points[0][0].start for _, points in series)
    window_end = min(points[-1][0].end for _, points in series)
    window = Period(window_start, window_end) if window_start <= window_end else None
    directions, spans, ends = [], [], []
    for _, points in series:
        overlapping = [(p, v) for p, v in points if window is not None and p.overlaps(window)]
        if len(overlapping) < 2:
            return None
        (first_period, first), (last_period, last) = overlapping[0], overlapping[-1]
        first_rate = first_period.per_12_months(first.midpoint)
        last_rate = last_period.per_12_months(last.midpoint)
        directions.append("up" if last_rate > first_rate else "down" if last_rate < first_rate else "flat")
        spans.append(f"{first_period.label} to {last_period.label}")
        ends.append((round(first_rate, 1), round(last_rate, 1)))
    opposite = {directions[0], directions[1]} == {"up", "down"}
    return TrendFlag(
        measure.id,
        (series[0][0], series[1][0]),
        (directions[0], directions[1]),
        (spans[0], spans[1]),
        (ends[0], ends[1]),
        opposite,
    )
