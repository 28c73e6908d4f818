"""National series per source and the direction of two sources' trends over the span both cover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.geography import ENGLAND
from ..domain.periods import Period
from ..model.reconciliation import SeriesPoint, TrendFlag
from .measures import Measure, Values, sources_named


def names_with_values(wanted: str, kinds: Mapping[str, str], values: Mapping[str, Values]) -> list[str]:
    """The configured sources a measure means by `wanted` that have values for it."""
    return [name for name in sources_named(wanted, kinds) if name in values]


def national_series(measure: str, values: Mapping[str, Values]) -> list[SeriesPoint]:
    out = []
    for name, by_key in values.items():
        for (period, geography), value in sorted(by_key.items(), key=lambda item: item[0][0]):
            if geography == ENGLAND:
                rate = value.scale(12 / period.months) if value is not None else None
                out.append(SeriesPoint(measure, name, period.iso, period.label, value, rate))
    return out


def trend_flag(measure: Measure, pair: Sequence[str], kinds: Mapping[str, str], values: Mapping[str, Values]) -> TrendFlag | None:
    """Direction of each source's rate per 12 months, first to last period, over the span both cover."""
    series = []
    for wanted in pair:
        names = names_with_values(wanted, kinds, values)
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
