"""Reconciliation: for each measure, bridge every source to the harmonised definition, then compare, link and trend.

It takes canonical frames (death records per source; published rows), never the check stage's types.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ..domain.geography import (
    ENGLAND,
    GEOGRAPHY_LEVELS,
    LONDON,
    covers_every,
    la_label,
    las_in,
    london_of,
    region_las,
    region_of,
)
from ..domain.intervals import Interval
from ..domain.periods import Period, Span, covers, periods_spanned, periods_within, spans_label
from ..domain.places import PlacesCovered
from ..errors import ConfigError
from ..model.anomalies import Anomaly, LaFunnel
from ..model.memory import Memory
from ..model.rates import Contrast, Rate
from ..model.reconciliation import (
    Bridge,
    Comparison,
    EmptyComparison,
    MissingDeaths,
    ReconcileResult,
    SeriesPoint,
    TrendFlag,
    Unmatched,
)
from .anomalies import earlier_values, la_funnels, ratio_funnels, series_anomalies
from .bridge import build_bridge, harmonised, select_records
from .compare import compare_pair
from .keys import with_keys
from .learned import ToleranceAt, pair_tolerances
from .measures import CompareSpec, Measure, Values, selected_sources, sources_named
from .missing import missing_deaths
from .not_compared import not_compared
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
    missing: list[MissingDeaths] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    funnels: list[LaFunnel] = field(default_factory=list)


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
    las: Mapping[str, PlacesCovered] | None = None,
    source_ids: Mapping[str, str] | None = None,
    memory: Memory | None = None,
) -> ReconcileResult:
    """Compare every measure across sources; periods not yet over at the reference date are not reported.

    `strict`: a measure's filter that selects nothing from a published table is an error (exit 2);
    for the shipped default measures it is a note, since they are written for every kind of run.
    `coverage`: per record-level source, the spans of dates it can have deaths for; it is counted (and bridged,
    linked, compared) only in periods inside them. A source with none given is counted in every period.
    `las`: record-level sources that cover some LAs only (a census file per LA and year, an LA's return, `la_code:`)
    -> the LAs they cover year by year: counted, compared and linked at those LAs only (and at a region they wholly
    cover), never as England's, in a year they do not cover every LA.
    `source_ids`: each source's `id:` (default its name), on which every finding's key is made (reconcile/keys.py).
    `memory`: what the run history holds of earlier releases: learned tolerances and series bands read it.
    """
    found = _Collected()
    for measure in measures:
        values, records, counted = _measure_values(
            measure, deaths, kinds, published, found, reference_date, geographies, strict, coverage or {}, las or {}
        )
        for spec in measure.compare:
            _compare_spec(measure, spec, kinds, values, records, counted, link_days, found, deaths, las or {},
                          pair_tolerances(measure, spec, source_ids or {}, memory))  # fmt: skip
        _note_uncompared(measure, kinds, values, found)
        found.series += national_series(measure.id, values)
        if measure.anomaly is not None:
            found.anomalies += series_anomalies(measure.id, measure.anomaly, values, earlier_values(measure.id, values, source_ids or {}, memory))
        if len(measure.trend) == 2:
            trend = trend_flag(measure, measure.trend, kinds, values)
            if trend is not None:
                found.trends.append(trend)
        _rates(measure, kinds, values, denominators or {}, found)
        found.funnels += la_funnels(measure.id, measure.funnel, found.rates)
        found.funnels += ratio_funnels(measure, kinds, values)
    result = ReconcileResult(
        comparisons=tuple(found.comparisons),
        bridges=tuple(found.bridges),
        unmatched=tuple(found.unmatched),
        trends=tuple(found.trends),
        notes=tuple(found.notes),
        series=tuple(found.series),
        empty=tuple(found.empty),
        rates=tuple(found.rates),
        contrasts=tuple(found.contrasts),
        missing=tuple(found.missing),
        not_compared=not_compared(measures, kinds, found.comparisons, found.empty),
        anomalies=tuple(found.anomalies),
        funnels=tuple(found.funnels),
    )
    return with_keys(result, source_ids or {})


def _measure_values(measure: Measure, deaths: Mapping[str, pd.DataFrame], kinds: Mapping[str, str],
                    published: Mapping[str, PublishedSource], found: _Collected, reference_date: dt.date | None,
                    geographies: Sequence[str], strict: bool, coverage: Mapping[str, tuple[Span, ...]],
                    las: Mapping[str, PlacesCovered]) -> tuple[dict[str, Values], dict[str, pd.DataFrame], dict[str, list[Period]]]:  # fmt: skip
    values: dict[str, Values] = {}
    records: dict[str, pd.DataFrame] = {}
    counted: dict[str, list[Period]] = {}
    for name, selector in selected_sources(measure, kinds).items():
        if name in deaths:
            unrecorded = [column for column in selector.where if len(deaths[name]) and deaths[name][column].isna().all()]
            if unrecorded:  # it would select nothing, ever: a zero that is not honest
                problem = f"its death records never have a {unrecorded[0]} (kind {kinds[name]})"
                if strict:
                    raise ConfigError(f"measure {measure.id!r} selects on {unrecorded[0]!r} from {name!r}, but {problem}")
                _note(f"{name}: not used for {measure.id}: {problem}", found)
                continue
            selected = select_records(deaths[name], selector.where)
            # Honest zeros: a source is counted in every period it covers, whether or not this measure's deaths fall
            # in it, so a year with no death on a plan compares 0 with 0 rather than nothing with nothing.
            counted[name] = source_periods(measure, deaths[name], coverage.get(name, ()), reference_date)
            records[name] = harmonised(selected)
            found.bridges += [build_bridge(name, measure.id, selected, period) for period in counted[name]]
            if name in las:
                values[name] = {key: value for period in counted[name]
                                for key, value in _counts_at(records[name], period, las[name].at(period), geographies).items()}  # fmt: skip
                _note(f"{name}: {las[name].words()}, so it is compared there only", found)
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
    every = set().union(*counted.values())
    for name, periods in counted.items():
        _note_uncovered(name, coverage.get(name, ()), sorted(every - set(periods)), found)
    return values, records, counted


def source_periods(measure: Measure, deaths: pd.DataFrame, spans: tuple[Span, ...], reference_date: dt.date | None) -> list[Period]:
    """The periods a record-level source counts, for every measure alike: those inside its coverage (a census's
    collection years, a declared `coverage:`), else those from its first death record's to the reference date's; none
    still open at the reference date (an incomplete period would be compared as if whole)."""
    if measure.explicit_period is not None:
        periods = [measure.explicit_period] if covers(spans, measure.explicit_period) else []
    elif spans:
        periods = periods_within(measure.period_kind, spans)
    else:  # an extract taken at the reference date covers up to it: a last year with no death is a zero too
        until = pd.Series(pd.to_datetime([reference_date] if reference_date else []), dtype="datetime64[s]")
        dates = pd.concat([deaths["headline_date"], deaths["date_of_death"]]).astype("datetime64[s]")
        # A return with no death at all still covers the period its reference date ends (an LA's usual year).
        periods = periods_spanned(measure.period_kind, pd.concat([dates, until]) if len(dates.dropna()) else until)
    return [p for p in periods if reference_date is None or p.end <= reference_date]


def _note_uncovered(name: str, spans: tuple[Span, ...], left_out: list[Period], found: _Collected) -> None:
    if not left_out:
        return
    labels = ", ".join(p.label for p in left_out[:6]) + (" ..." if len(left_out) > 6 else "")
    if spans:
        _note(f"{name}: covers {spans_label(spans)} only, so it is not counted or compared in {labels}", found)
    else:
        _note(f"{name}: its death records do not reach {labels}, so it is not counted or compared there "
              "(declare coverage: {from, to} if it covers them)", found)  # fmt: skip


def _note(note: str, found: _Collected) -> None:
    if note not in found.notes:  # once per run, not once per measure
        found.notes.append(note)


def _compare_spec(measure: Measure, spec: CompareSpec, kinds: Mapping[str, str], values: Mapping[str, Values],
                  records: Mapping[str, pd.DataFrame], counted: Mapping[str, list[Period]], link_days: int,
                  found: _Collected, deaths: Mapping[str, pd.DataFrame], las: Mapping[str, PlacesCovered],
                  tolerances: Callable[[str, str], ToleranceAt]) -> None:  # fmt: skip
    """Every pair of sources the spec names; a pair whose values share no period or geography is an empty comparison."""
    lefts, rights = names_with_values(spec.left, kinds, values), names_with_values(spec.right, kinds, values)
    for left in lefts:
        for right in rights:
            if left == right:
                continue
            # A record-level source has a true zero where it has no death, except where it does not look (some LAs' return).
            complete = [name for name in records if name not in las]
            pair = compare_pair(measure, spec, left, right, values[left], values[right], complete, tolerances(left, right))
            if left in records and right in records:
                both = [p for p in counted[left] if p in counted[right]]  # linked only where both count
                places = (las.get(left), las.get(right))  # and only in the LAs both cover, year by year
                lr, rr = (_within(records[name], places, both) for name in (left, right))
                links = unmatched_records(measure, left, right, lr, rr, link_days, both)
                found.unmatched += links
                whole = {name: _within(deaths[name], places, both) for name in (left, right)}
                found.missing += missing_deaths(measure, spec, left, right, {left: lr, right: rr}, whole, deaths, links, link_days)
                pair = [explain(c, links) for c in pair]
            found.comparisons += pair
            if not pair:
                reason = _no_overlap(values[left], values[right], left, right)
                found.empty.append(EmptyComparison(measure.id, left, right, reason, spec.allow_empty))


def _within(frame: pd.DataFrame, places: tuple[PlacesCovered | None, PlacesCovered | None], periods: list[Period]) -> pd.DataFrame:
    """The deaths in the LAs both sources cover in each period; a death outside those periods is kept where its LA is
    covered at all (it may link as a period shift)."""
    if places == (None, None):
        return frame
    keep = pd.Series(False, index=frame.index)
    outside = pd.Series(True, index=frame.index)
    anywhere: set[str] = set()
    national = False
    for period in periods:
        scope = shared_las(*(None if p is None else p.at(period) for p in places))
        inside = period.contains(frame["date_of_death"])
        outside &= ~inside
        if scope is None:
            keep |= inside
            national = True
        else:
            keep |= inside & frame["la_code"].isin(scope)
            anywhere |= scope
    keep |= outside & (frame["la_code"].isin(anywhere) | national)
    return frame.loc[keep]


def _note_uncompared(measure: Measure, kinds: Mapping[str, str], values: Mapping[str, Values], found: _Collected) -> None:
    """A source the measure selects but no compare names (a second source of one kind) is said, never silently left out."""
    if not measure.compare:
        return
    named = {n for c in measure.compare for wanted in (c.left, c.right) for n in sources_named(wanted, kinds)}
    for name in values:
        if name not in named:
            found.notes.append(f"{name}: selected by {measure.id} but compared with nothing: its compares name "
                               f"{', '.join(sorted({w for c in measure.compare for w in (c.left, c.right)}))}")  # fmt: skip


def _no_overlap(left: Values, right: Values, left_name: str, right_name: str) -> str:
    """Why two sources compared nothing, in a steward's words: which periods and places each counts."""
    def periods(values: Values) -> set[Period]:
        return {p for p, _ in values}

    def labels(found: set[Period]) -> str:
        ordered = sorted(found)
        return ", ".join(p.label for p in ordered[:6]) + (" ..." if len(ordered) > 6 else "")

    lp, rp = periods(left), periods(right)
    if not lp or not rp:
        empty = [name for name, found in ((left_name, lp), (right_name, rp)) if not found]
        return f"{' and '.join(empty)} {'counts' if len(empty) == 1 else 'count'} no complete period before the reference date"
    if not any(a.overlaps(b) for a in lp for b in rp):
        return f"no period in common: {left_name} counts {labels(lp)}; {right_name} counts {labels(rp)}"
    places = {left_name: sorted({g for _, g in left}), right_name: sorted({g for _, g in right})}
    return "no place in common: " + "; ".join(f"{name} counts {', '.join(la_label(g) for g in found[:4])}"
                                              f"{' ...' if len(found) > 4 else ''}" for name, found in places.items())  # fmt: skip


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


def _counts_at(records: pd.DataFrame, period: Period, las: frozenset[str] | None, levels: Sequence[str]) -> Values:
    """A return of some LAs in a period: its deaths at each of them, zero included, and at a region only where it
    covers every LA of the region; England's figure only where it covers every LA (`las` None). Deaths given another
    LA are not its own."""
    covered = las_in(ENGLAND) if las is None else las
    inside = period.contains(records["date_of_death"])
    mine = records.loc[inside & records["la_code"].isin(covered)]
    values: Values = {(period, ENGLAND): Interval.exact(int(inside.sum()))} if las is None else {}
    if "local_authority" in levels:
        counts = mine["la_code"].value_counts()
        values.update({(period, la): Interval.exact(int(counts.get(la, 0))) for la in sorted(covered)})
    if "region" in levels:
        whole = [region for region in (*region_las(), LONDON) if covers_every(las_in(region), covered)]
        regions = region_of(mine["la_code"])
        counts = pd.concat([regions, london_of(regions)]).value_counts()  # London is Inner + Outer London, as in _counts
        values.update({(period, region): Interval.exact(int(counts.get(region, 0))) for region in whole})
    return values


def shared_las(left: frozenset[str] | None, right: frozenset[str] | None) -> frozenset[str] | None:
    """The LAs two sources both cover (None: both national)."""
    if left is None or right is None:
        return left if right is None else right
    return left & right
