"""Reconciliation: bridge every source to the harmonised definition, then compare, link and trend."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..geography import region_of
from ..readers.published import DEFAULT_ROUNDING, row_geography, row_period
from ..validate import CheckedSource
from .bridge import build_bridge, harmonised, select_records
from .intervals import Interval, from_published
from .linkage import LEFT, RIGHT, link
from .measures import CompareSpec, Measure
from .model import Bridge, CoherenceCheck, Comparison, MatchedPair, ReconcileResult, TrendFlag, Unmatched
from .periods import Period, period_of, periods_for

ENGLAND = "England"
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
    by_region: bool = True,
) -> ReconcileResult:
    kinds = {name: source.result.kind for name, source in checked.items()} | {name: "published" for name in published}
    comparisons: list[Comparison] = []
    bridges: list[Bridge] = []
    unmatched: list[Unmatched] = []
    trends: list[TrendFlag] = []
    coherence: list[CoherenceCheck] = []
    notes: list[str] = []
    for measure in measures:
        values: dict[str, Values] = {}
        records: dict[str, pd.DataFrame] = {}
        for name in kinds:
            selector = measure.select.get(name) or measure.select.get(kinds[name])
            if selector is None:
                continue
            if name in checked:
                selected = select_records(checked[name].deaths, selector.where)
                records[name] = harmonised(selected)
                periods = _periods(measure, selected)
                for period in periods:
                    bridges.append(build_bridge(name, measure.id, selected, period))
                values[name] = _counts(records[name], periods, by_region)
            else:
                found = _published_values(published[name], selector.filter, selector.value, notes, measure.id)
                if found is not None:
                    values[name] = found
                    coherence += _coherence(name, measure.id, published[name], selector.filter, selector.value)
        for spec in measure.compare:
            for left in _names(spec.left, kinds, values):
                for right in _names(spec.right, kinds, values):
                    if left == right:
                        continue
                    pair = _compare_pair(measure, spec, left, right, values[left], values[right])
                    if left in records and right in records:
                        links = _unmatched(measure, left, right, records[left], records[right], link_days)
                        unmatched += links
                        pair = [_explain(c, links) for c in pair]
                    comparisons += pair
        if len(measure.trend) == 2:
            trend = _trend(measure, measure.trend, kinds, values)
            if trend is not None:
                trends.append(trend)
    return ReconcileResult(tuple(comparisons), tuple(bridges), tuple(unmatched), tuple(trends), tuple(coherence), tuple(notes))


def _periods(measure: Measure, selected: pd.DataFrame) -> list[Period]:
    if measure.explicit_period is not None:
        return [measure.explicit_period]
    dates = pd.concat([selected["headline_date"], selected["date_of_death"]])
    return periods_for(measure.period_kind, dates)


def _counts(records: pd.DataFrame, periods: list[Period], by_region: bool) -> Values:
    values: Values = {}
    regions = region_of(records["la_code"]) if by_region else None
    for period in periods:
        inside = period.contains(records["date_of_death"])
        values[(period, ENGLAND)] = Interval.exact(int(inside.sum()))
        if regions is not None:
            for region, count in regions[inside].value_counts().items():
                values[(period, str(region))] = Interval.exact(int(count))
    if regions is not None:
        # A region with deaths in some period but none in another has a real zero there.
        for region in regions.dropna().unique():
            for period in periods:
                values.setdefault((period, str(region)), Interval.exact(0))
    return values


def _published_values(
    source: PublishedSource, filters: Mapping[str, str], value: str, notes: list[str], measure: str
) -> Values | None:
    frame = source.frame
    absent = [c for c in (*filters, value) if c not in frame.columns]
    if absent:
        notes.append(f"{source.name}: not used for {measure}; it has no {', '.join(absent)} column")
        return None
    values: Values = {}
    for _, row in _filtered(frame, filters).iterrows():
        key = (row_period(row), row_geography(row))
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
    frame = source.frame
    rows = _filtered(frame, filters)
    out: list[CoherenceCheck] = []
    by_level: dict[str, dict[Period, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    national: dict[Period, Interval] = {}
    for _, row in rows.iterrows():
        level = str(row["geographic_level"]).strip().lower()
        interval = from_published(row[value], source.rounding.get(level, DEFAULT_ROUNDING.get(level, 1)))
        if interval is None:
            continue
        if level == "national":
            national[row_period(row)] = interval
        elif level in ("regional", "local authority"):
            by_level[level][row_period(row)].append(interval)
    for level, periods in by_level.items():
        for period, parts in periods.items():
            if period not in national:
                continue
            total = sum(parts[1:], parts[0])
            whole = national[period]
            coherent = total.low <= whole.high and whole.low <= total.high
            out.append(CoherenceCheck(name, measure, period.iso, ENGLAND, level, whole, total, coherent))
    return out


def _names(wanted: str, kinds: Mapping[str, str], values: Mapping[str, Values]) -> list[str]:
    if wanted in values:
        return [wanted]
    return [name for name, kind in kinds.items() if kind == wanted and name in values]


def _compare_pair(measure: Measure, spec: CompareSpec, left: str, right: str, lv: Values, rv: Values) -> list[Comparison]:
    out = []
    for (lp, geography), left_value in sorted(lv.items(), key=lambda item: (item[0][0], item[0][1] != ENGLAND, item[0][1])):
        matches = [(rp, value) for (rp, g), value in rv.items() if g == geography and _comparable_periods(lp, rp)]
        for rp, right_value in matches:
            out.append(_compare(measure, spec, left, right, lp, rp, geography, left_value, right_value))
    return out


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


def _unmatched(measure: Measure, left: str, right: str, lr: pd.DataFrame, rr: pd.DataFrame, days: int) -> list[Unmatched]:
    links = link(lr, rr, death_date_days=days)
    kind = measure.period_kind
    periods = sorted(set(_periods(measure, lr)) & set(_periods(measure, rr)))
    pairs = links.pairs
    left_death = lr.loc[pairs[LEFT], "date_of_death"].to_numpy() if len(pairs) else []
    right_death = rr.loc[pairs[RIGHT], "date_of_death"].to_numpy() if len(pairs) else []
    out = []
    for period in periods:
        in_left = period.contains(pd.Series(left_death, dtype="datetime64[s]")).to_numpy() if len(pairs) else []
        in_right = period.contains(pd.Series(right_death, dtype="datetime64[s]")).to_numpy() if len(pairs) else []
        shifts = []
        for position in range(len(pairs)):
            if in_left[position] != in_right[position]:
                lp = period_of(kind, pd.Timestamp(left_death[position]).date()) if kind != "explicit" else None
                rp = period_of(kind, pd.Timestamp(right_death[position]).date()) if kind != "explicit" else None
                if lp != rp or kind == "explicit":
                    shifts.append(
                        MatchedPair(
                            str(lr.at[pairs[LEFT].iloc[position], "record_id"]),
                            str(rr.at[pairs[RIGHT].iloc[position], "record_id"]),
                            str(pairs["linked_on"].iloc[position]),
                            True,
                        )
                    )
        only_left = lr.loc[links.only_left]
        only_right = rr.loc[links.only_right]
        out.append(
            Unmatched(
                left=left,
                right=right,
                measure=measure.id,
                period=period.iso,
                period_label=period.label,
                matched=int(sum(bool(a and b) for a, b in zip(in_left, in_right, strict=True))),
                period_shifts=tuple(shifts),
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
    parts = []
    if match.only_left:
        parts.append(f"{len(match.only_left)} {comparison.left} deaths have no {comparison.right} record")
    if match.only_right:
        parts.append(f"{len(match.only_right)} {comparison.right} deaths have no {comparison.left} record")
    if match.period_shifts:
        parts.append(f"{len(match.period_shifts)} deaths are dated in different periods by the two sources")
    from dataclasses import replace

    return replace(comparison, explanation="; ".join(parts))


def _trend(measure: Measure, pair: Sequence[str], kinds: Mapping[str, str], values: Mapping[str, Values]) -> TrendFlag | None:
    series = []
    for wanted in pair:
        names = _names(wanted, kinds, values)
        if not names:
            return None
        points = sorted((p, v) for (p, g), v in values[names[0]].items() if g == ENGLAND and v is not None)
        if len(points) < 2:
            return None
        series.append((names[0], points))
    directions, spans, ends = [], [], []
    for _, points in series:
        (first_period, first), (last_period, last) = points[0], points[-1]
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
