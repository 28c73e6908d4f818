"""Comparing two sources' values: which periods are comparable, per 12 months, and the tolerance rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.geography import ENGLAND
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..domain.status import Status
from ..model.reconciliation import Comparison, compared_pair, status_of
from .learned import ToleranceAt
from .measures import CompareSpec, Measure, Values


def compare_pair(
    measure: Measure, spec: CompareSpec, left: str, right: str, lv: Values, rv: Values, record_level: Iterable[str],
    tolerance_at: ToleranceAt,
) -> list[Comparison]:
    """Every comparable period pair and every geography either source reports, each with the tolerance
    `tolerance_at` gives its place (reconcile/learned.py: declared, or learned from the history).

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
                out.append(_compare(measure, spec, left, right, lp, rp, geography, left_value, right_value, tolerance_at(geography)))
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
             left_value: Interval | None, right_value: Interval | None, tolerance: dict[str, Any]) -> Comparison:  # fmt: skip
    left_rate = left_value.scale(12 / lp.months) if left_value else None
    right_rate = right_value.scale(12 / rp.months) if right_value else None
    status, difference = Status.NOT_COMPARABLE, None
    if left_value is not None and right_value is not None:
        compared_left, compared_right = compared_pair(left_value, right_value, lp.months, rp.months)
        difference = compared_left - compared_right
        status = status_of(difference, compared_left, compared_right, spec.relation, tolerance)
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
        tolerance=tolerance,
        status=status,
    )
