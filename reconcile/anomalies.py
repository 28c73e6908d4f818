"""Series bands for every measure (issue 25): each source's latest period at each place it has, tested against a
quasi-Poisson band from the same series' earlier periods of the same length (reconcile/bands.py), extended by earlier
releases in the run history. They inform (a warning finding); with `anomaly: {gate: true}` an unusual point blocks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from ..domain.geography import ENGLAND, is_known_la, place_code
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..model.anomalies import Anomaly, LaFunnel, PastPoint
from ..model.memory import Memory
from ..model.rates import Rate
from .bands import test_point
from .funnels import funnel, ratio_funnel
from .measures import AnomalySetting, FunnelSetting, Measure, Values
from .trends import names_with_values


def series_anomalies(measure: str, setting: AnomalySetting | None, values: Mapping[str, Values],
                     earlier: Mapping[str, Mapping[tuple[Period, str], tuple[str, Interval]]] | None = None) -> list[Anomaly]:  # fmt: skip
    """For each source and place: its latest period against the band of its earlier periods of the same length (a
    value not available is no point; a rounded or suppressed one is its interval). `earlier` extends a source's
    series by what earlier releases in the run history held for periods it no longer carries ((period, place) ->
    (release, value)); the source's own figure wins where both have one. Off (`anomaly: off`): none."""
    if setting is None:
        return []
    out = []
    for source, by_key in values.items():
        series: dict[str, list[PastPoint]] = defaultdict(list)
        for (period, geography), value in by_key.items():
            if _series_point(value):
                series[geography].append(PastPoint(period.iso, period.label, value))  # type: ignore[arg-type]
        own_latest = {geography: max(Period.from_iso(p.period).start for p in points) for geography, points in series.items()}
        newest = max(own_latest.values(), default=None)
        for (period, geography), (release, value) in (earlier or {}).get(source, {}).items():
            # Only before the source's own latest: the tested point is always this release's own figure.
            if (period, geography) not in by_key and period.start < own_latest.get(geography, period.start) and _series_point(value):
                series[geography].append(PastPoint(period.iso, period.label, value, release))
        for geography, points in series.items():
            if own_latest[geography] != newest:
                continue  # no figure (or an unreadable one) for the source's latest period here: nothing to test
            points.sort(key=lambda point: Period.from_iso(point.period).start)
            tested, before = points[-1], tuple(points[:-1])
            latest, value = Period.from_iso(tested.period), tested.value
            past = [p.value if p.value.is_exact else (p.value.low, p.value.high) for p in before
                    if abs(Period.from_iso(p.period).months - latest.months) < 0.01]  # fmt: skip
            found = test_point(past, value.low, value.high, level=setting.level, min_points=setting.min_points)
            band = found.band
            out.append(Anomaly(measure, source, geography, latest.iso, latest.label, value, found.status, setting.level,
                               band.points if band is not None else len(past), band.method if band else "",
                               band.expected if band else None, (band.low, band.high) if band else None, before, setting.gate))  # fmt: skip
    return out


def _series_point(value: Interval | None) -> bool:
    """A count: a negative figure (a revision, a net flow) is no series point, nor is a value not available."""
    return value is not None and value.low >= 0


def earlier_values(measure: str, values: Mapping[str, Values], source_ids: Mapping[str, str],
             memory: Memory | None) -> dict[str, dict[tuple[Period, str], tuple[str, Interval]]]:  # fmt: skip
    """Each source's (by name) values of the measure in earlier releases, keyed as its own values are (period, place as
    the source names it), for the places it has now: what extends its series past the years it carries."""
    if memory is None:
        return {}
    held = memory.earlier_values(measure)
    out: dict[str, dict[tuple[Period, str], tuple[str, Interval]]] = {}
    for name, own in values.items():
        places = {place_code(geography): geography for _, geography in own}
        out[name] = {(Period.from_iso(period), places[code]): found
                     for (period, code), found in held.get(source_ids.get(name, name), {}).items() if code in places}  # fmt: skip
    return out


def la_funnels(measure: str, setting: FunnelSetting | None, rates: Sequence[Rate]) -> list[LaFunnel]:
    """For each source with rates of the measure: its LAs in the latest period with any, in a funnel around England's
    rate of that period (else the LAs' own). An LA whose count is rounded or suppressed (not exact) is not a point:
    its place in a funnel is not known."""
    if setting is None:
        return []
    by_source: dict[str, list[Rate]] = defaultdict(list)
    for rate in rates:
        if rate.measure == measure:
            by_source[rate.source].append(rate)
    out = []
    for source, found in by_source.items():
        las = [r for r in found if is_known_la(r.geography)]
        if not las:
            continue
        latest = max(Period.from_iso(r.period) for r in las)
        points = [r for r in las if r.period == latest.iso and r.count.is_exact]
        england = next((r for r in found if r.geography == ENGLAND and r.period == latest.iso and r.rate.is_exact), None)
        per = points[0].per if points else 1.0
        shown = funnel([r.geography for r in points], [r.count.low for r in points], [r.denominator for r in points],
                       levels=setting.levels, centre=england.rate.low if england is not None else None, per=per)  # fmt: skip
        out.append(LaFunnel(measure, source, latest.iso, latest.label, shown, per))
    return out


def ratio_funnels(measure: Measure, kinds: Mapping[str, str], values: Mapping[str, Values]) -> list[LaFunnel]:
    """For a measure with `funnel:` that compares two sources: each LA's ratio of their counts in the latest period
    both have LAs for, in a funnel around the ratio of the totals (an LA whose return misses deaths stands out by its
    size, not by a hand-set tolerance). Exact counts only; the pair is named `left / right`."""
    if measure.funnel is None:
        return []
    out = []
    for spec in measure.compare:
        pairs = [(a, b) for a in names_with_values(spec.left, kinds, values) for b in names_with_values(spec.right, kinds, values) if a != b]
        for left_name, right_name in pairs:
            left, right = values[left_name], values[right_name]
            shared = {(p, g) for (p, g), v in left.items() if _whole_count(g, v)} & {(p, g) for (p, g), v in right.items() if _whole_count(g, v)}
            if not shared:
                continue
            latest = max(p for p, _ in shared)
            places = sorted(g for p, g in shared if p == latest)
            found = ratio_funnel(places, [left[(latest, g)].low for g in places], [right[(latest, g)].low for g in places],  # type: ignore[union-attr]
                                 levels=measure.funnel.levels)  # fmt: skip
            out.append(LaFunnel(measure.id, f"{left_name} / {right_name}", latest.iso, latest.label, found))
    return out


def _whole_count(geography: str, value: Interval | None) -> bool:
    """An LA's exact whole count: what a ratio funnel (binomial given both counts) can place."""
    return is_known_la(geography) and value is not None and value.is_exact and value.low >= 0 and float(value.low).is_integer()
