"""Reconciliation: for each measure, bridge every source to the harmonised definition, then compare, link and trend.

It takes canonical frames (death records per source; published rows), never the check stage's types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..domain.geography import ENGLAND, GEOGRAPHY_LEVELS, la_label, london_of, region_of
from ..domain.intervals import Interval
from ..domain.periods import Period, Span, covers, periods_for, spans_label
from ..errors import ConfigError
from ..model.rates import Contrast, Rate
from ..model.reconciliation import Bridge, Comparison, EmptyComparison, ReconcileResult, SeriesPoint, TrendFlag, Unmatched
from .bridge import build_bridge, harmonised, select_records
from .compare import compare_pair
from .measures import CompareSpec, Measure, Values, selected_sources
from .published import PublishedSource, published_values, selection_problem
from .rates import contrasts_for, rates_for
from .trends import names_with_values, national_series, trend_flag
from .unmatched import explain, unmatched_records


@dataclass
class _Collected:
    """Everything the measure loop finds, in the order the result lists it."""

    comparisons: list[Comparison] = field(default_factory=list)
    bridges: list[Bridge] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    trends: list[TrendFlag] = field(default_factory=list)
    series: list[SeriesPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    empty: list[EmptyComparison] = field(default_factory=list)
    rates: list[Rate] = field(default_factory=list)
    contrasts: list[Contrast] = field(default_factory=list)


def reconcile(
    deaths: Mapping[str, pd.DataFrame],
    kinds: Mapping[str, str],
    published: Mapping[str, PublishedSource],
    measures: Sequence[Measure],
    *,
    link_days: int = 7,
    geographies: Sequence[str] = GEOGRAPHY_LEVELS,
    reference_date: dt.date | None = None,
    denominators: Mapping[str, pd.DataFrame] | None = None,
    strict: bool = True,
    coverage: Mapping[str, tuple[Span, ...]] | None = None,
    one_la: Mapping[str, str] | None = None,
) -> ReconcileResult:
    """Compare every measure across sources; periods not yet over at the reference date are not reported.

    `strict`: a measure's filter that selects nothing from a published table is an error (exit 2);
    for the shipped default measures it is a note, since they are written for every kind of run.
    `coverage`: per record-level source, the spans of dates it can have deaths for; it is counted (and bridged,
    linked, compared) only in periods inside them. A source with none given is counted in every period.
    `one_la`: record-level sources that are one LA's return (`la_code:` declared) -> that LA's ONS code: counted and
    compared for that LA only, never as England's or a region's figure.
    """
    found = _Collected()
    for measure in measures:
        values, records, counted = _measure_values(
            measure, deaths, kinds, published, found, reference_date, geographies, strict, coverage or {}, one_la or {}
        )
        for spec in measure.compare:
            _compare_spec(measure, spec, kinds, values, records, counted, link_days, found, one_la or {})
        found.series += national_series(measure.id, values)
        if len(measure.trend) == 2:
            trend = trend_flag(measure, measure.trend, kinds, values)
            if trend is not None:
                found.trends.append(trend)
        _rates(measure, kinds, values, denominators or {}, found)
    return ReconcileResult(
        comparisons=tuple(found.comparisons),
        bridges=tuple(found.bridges),
        unmatched=tuple(found.unmatched),
        trends=tuple(found.trends),
        notes=tuple(found.notes),
        series=tuple(found.series),
        empty=tuple(found.empty),
        rates=tuple(found.rates),
        contrasts=tuple(found.contrasts),
    )


def _measure_values(measure: Measure, deaths: Mapping[str, pd.DataFrame], kinds: Mapping[str, str],
                    published: Mapping[str, PublishedSource], found: _Collected, reference_date: dt.date | None,
                    geographies: Sequence[str], strict: bool, coverage: Mapping[str, tuple[Span, ...]],
                    one_la: Mapping[str, str]) -> tuple[dict[str, Values], dict[str, pd.DataFrame], dict[str, list[Period]]]:  # fmt: skip
    values: dict[str, Values] = {}
    records: dict[str, pd.DataFrame] = {}
    counted: dict[str, list[Period]] = {}
    selectors = selected_sources(measure, kinds)
    selected = {name: select_records(deaths[name], selector.where) for name, selector in selectors.items() if name in deaths}
    # Every record-level source is counted over the same periods: a year with no deaths in one
    # source but deaths in another is a zero to compare, not a year to skip, unless it lies outside
    # what the source covers (a single year's return, a census's collection year).
    periods = sorted(set().union(*(_periods(measure, frame, reference_date) for frame in selected.values())))
    for name, selector in selectors.items():
        if name in selected:
            spans = coverage.get(name, ())
            counted[name] = [p for p in periods if covers(spans, p)]
            _note_uncovered(name, spans, [p for p in periods if p not in counted[name]], found)
            records[name] = harmonised(selected[name])
            found.bridges += [build_bridge(name, measure.id, selected[name], period) for period in counted[name]]
            if name in one_la:
                values[name] = _one_la_counts(records[name], counted[name], one_la[name], geographies)
                _note(f"{name}: one LA's return ({la_label(one_la[name])}), so it is compared for that LA only", found)
            else:
                values[name] = _counts(records[name], counted[name], geographies)
        elif name in published:
            problem = selection_problem(published[name], selector.filter, selector.value)
            if problem is not None:
                if strict:
                    raise ConfigError(f"measure {measure.id!r} selects nothing from {name!r}: {problem}")
                found.notes.append(f"{name}: not used for {measure.id}: {problem}")
                continue
            values[name] = published_values(
                published[name], selector.filter, selector.value, found.notes, measure.id, reference_date, geographies
            )
    return values, records, counted


def _note_uncovered(name: str, spans: tuple[Span, ...], left_out: list[Period], found: _Collected) -> None:
    if not left_out:
        return
    labels = ", ".join(p.label for p in left_out[:6]) + (" ..." if len(left_out) > 6 else "")
    _note(f"{name}: covers {spans_label(spans)} only, so it is not counted or compared in {labels}", found)


def _note(note: str, found: _Collected) -> None:
    if note not in found.notes:  # once per run, not once per measure
        found.notes.append(note)


def _compare_spec(measure: Measure, spec: CompareSpec, kinds: Mapping[str, str], values: Mapping[str, Values],
                  records: Mapping[str, pd.DataFrame], counted: Mapping[str, list[Period]], link_days: int,
                  found: _Collected, one_la: Mapping[str, str]) -> None:  # fmt: skip
    """Every pair of sources the spec names; a pair whose values share no period or geography is an empty comparison."""
    lefts, rights = names_with_values(spec.left, kinds, values), names_with_values(spec.right, kinds, values)
    for left in lefts:
        for right in rights:
            if left == right:
                continue
            # A record-level source has a true zero where it has no death, except where it does not look (one LA's return).
            complete = [name for name in records if name not in one_la]
            pair = compare_pair(measure, spec, left, right, values[left], values[right], complete)
            if left in records and right in records:
                both = [p for p in counted[left] if p in counted[right]]  # linked only where both count
                lr, rr = records[left], records[right]
                for la in {one_la.get(left), one_la.get(right)} - {None}:  # one LA's return: link that LA's deaths
                    lr, rr = lr[lr["la_code"] == la], rr[rr["la_code"] == la]
                links = unmatched_records(measure, left, right, lr, rr, link_days, both)
                found.unmatched += links
                pair = [explain(c, links) for c in pair]
            found.comparisons += pair
            if not pair:
                reason = _no_overlap(values[left], values[right])
                found.empty.append(EmptyComparison(measure.id, left, right, reason, spec.allow_empty))


def _no_overlap(left: Values, right: Values) -> str:
    def labels(values: Values) -> str:
        periods = sorted({p for p, _ in values})
        return ", ".join(p.label for p in periods[:6]) + (" ..." if len(periods) > 6 else "") if periods else "no period"

    return f"no period or geography in common (one has {labels(left)}; the other has {labels(right)})"


def _rates(measure: Measure, kinds: Mapping[str, str], values: Mapping[str, Values],
           denominators: Mapping[str, pd.DataFrame], found: _Collected) -> None:  # fmt: skip
    measured = []
    for name, selector in selected_sources(measure, kinds).items():
        if selector.rate is None or name not in values:
            continue
        populations = denominators.get(selector.rate.denominator)
        if populations is None:
            continue
        measured += rates_for(measure, name, values[name], populations, selector.rate.per)
    found.rates += measured
    found.contrasts += contrasts_for(measure, measured, kinds)


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
        regions = region_of(records["la_code"])
        keys += [regions, london_of(regions)]  # London is a region too: Inner + Outer London
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


def _one_la_counts(records: pd.DataFrame, periods: list[Period], la: str, levels: Sequence[str]) -> Values:
    """One LA's return: its deaths per period at that LA, zero included (deaths given another LA are not its own)."""
    if "local_authority" not in levels:
        return {}
    return {(period, la): Interval.exact(int((period.contains(records["date_of_death"]) & (records["la_code"] == la)).sum()))
            for period in periods}  # fmt: skip
