"""Reconciliation: for each measure, bridge every source to the harmonised definition, then compare, link and trend.

It takes canonical frames (death records per source; published rows), never the check stage's types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pandas as pd

from ..domain.geography import ENGLAND, GEOGRAPHY_LEVELS, region_of
from ..domain.intervals import Interval
from ..domain.periods import Period, periods_for
from ..model.reconciliation import Bridge, CoherenceCheck, Comparison, ReconcileResult, SeriesPoint, TrendFlag, Unmatched
from .bridge import build_bridge, harmonised, select_records
from .compare import compare_pair
from .measures import Measure, Values, selected_sources
from .published import PublishedSource, coherence, published_values
from .trends import names_with_values, national_series, trend_flag
from .unmatched import explain, unmatched_records


def reconcile(
    deaths: Mapping[str, pd.DataFrame],
    kinds: Mapping[str, str],
    published: Mapping[str, PublishedSource],
    measures: Sequence[Measure],
    *,
    link_days: int = 7,
    geographies: Sequence[str] = GEOGRAPHY_LEVELS,
    reference_date: dt.date | None = None,
) -> ReconcileResult:
    """Compare every measure across sources; periods not yet over at the reference date are not reported."""
    comparisons: list[Comparison] = []
    bridges: list[Bridge] = []
    unmatched: list[Unmatched] = []
    trends: list[TrendFlag] = []
    coherence_checks: list[CoherenceCheck] = []
    series: list[SeriesPoint] = []
    notes: list[str] = []
    for measure in measures:
        values: dict[str, Values] = {}
        records: dict[str, pd.DataFrame] = {}
        selectors = selected_sources(measure, kinds)
        selected = {
            name: select_records(deaths[name], selector.where) for name, selector in selectors.items() if name in deaths
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
                found = published_values(
                    published[name], selector.filter, selector.value, notes, measure.id, reference_date, geographies
                )
                if found is not None:
                    values[name] = found
                    coherence_checks += coherence(name, measure.id, published[name], selector.filter, selector.value)
        for spec in measure.compare:
            for left in names_with_values(spec.left, kinds, values):
                for right in names_with_values(spec.right, kinds, values):
                    if left == right:
                        continue
                    pair = compare_pair(measure, spec, left, right, values[left], values[right], records.keys())
                    if left in records and right in records:
                        links = unmatched_records(measure, left, right, records[left], records[right], link_days, periods)
                        unmatched += links
                        pair = [explain(c, links) for c in pair]
                    comparisons += pair
        series += national_series(measure.id, values)
        if len(measure.trend) == 2:
            trend = trend_flag(measure, measure.trend, kinds, values)
            if trend is not None:
                trends.append(trend)
    return ReconcileResult(
        tuple(comparisons), tuple(bridges), tuple(unmatched), tuple(trends), tuple(coherence_checks), tuple(notes), tuple(series)
    )


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
