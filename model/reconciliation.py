"""Stage 5, reconciliation: frozen dataclasses for bridges, comparisons, linkage, trends and coherence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.acknowledgements import Acknowledged, plain_number
from ..domain.geography import place_code
from ..domain.identity import ComparisonKey, SeriesKey
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..domain.status import COMPARISON_STATUSES, Status, blocks_release
from ..domain.tolerance import Tolerance  # the one tolerance formula
from .anomalies import Anomaly, LaFunnel
from .missing import GAP_KINDS as GAP_KINDS
from .missing import EmptyComparison, MissingDeaths, NotCompared
from .rates import Contrast, Rate

STATUSES = COMPARISON_STATUSES


def compared_pair(left: Interval, right: Interval, left_months: float, right_months: float) -> tuple[Interval, Interval]:
    """What a comparison compares: the two values, or each per 12 months where the periods differ in length."""
    if abs(left_months - right_months) < 0.01:
        return left, right
    return left.scale(12 / left_months), right.scale(12 / right_months)


def status_of(difference: Interval, left: Interval, right: Interval, relation: str, tolerance: Mapping[str, float]) -> str:
    """The one tolerance rule: how a difference (left - right) stands against the relation and the tolerance."""
    if relation == "==":
        gap = 0.0 if difference.contains(0) else min(abs(difference.low), abs(difference.high))
        exact_agreement = difference.low == difference.high == 0
    elif relation == ">=":
        gap = max(0.0, -difference.high)
        exact_agreement = difference.low >= 0
    else:
        gap = max(0.0, difference.low)
        exact_agreement = difference.high <= 0
    if gap == 0 and (exact_agreement or not (left.is_exact and right.is_exact)):
        return Status.AGREE

    # The scale of a relative tolerance: the larger of the two compared figures (their midpoints), at least 0.
    beyond = Tolerance.of(tolerance).exceeded_by(gap, scale=max(left.midpoint, right.midpoint, 0.0))
    return Status.DISCREPANCY if beyond else Status.WITHIN_TOLERANCE


@dataclass(frozen=True)
class BridgeStep:
    step: str  # a check id where the step is one (unborn.death, age.over_17, duplicate.record, ...)
    description: str
    count: int  # removed from the headline; negative when the step adds records
    record_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "description": self.description, "count": self.count, "record_ids": list(self.record_ids)}


@dataclass(frozen=True)
class Bridge:
    source: str
    measure: str
    period: str
    period_label: str
    headline: int
    steps: tuple[BridgeStep, ...]
    harmonised: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "measure": self.measure,
            "period": self.period,
            "period_label": self.period_label,
            "headline": self.headline,
            "steps": [s.to_dict() for s in self.steps],
            "harmonised": self.harmonised,
        }


@dataclass(frozen=True)
class Comparison:
    measure: str
    period: str
    period_label: str
    geography: str
    left: str
    right: str
    left_value: Interval | None
    right_value: Interval | None
    left_period: str
    right_period: str
    left_per_12_months: Interval | None
    right_per_12_months: Interval | None
    difference: Interval | None
    relation: str
    tolerance: dict[str, float]
    status: Status
    # The comparison's identity (measure, place as an ONS code, the sources' ids, period); None only in tests' hand-made ones.
    key: ComparisonKey | None = None
    # What record linkage found behind a national disagreement: deaths in one source only, and shifts.
    only_left: int = 0
    only_right: int = 0
    period_shifts: int = 0
    acknowledgement: Acknowledged | None = None  # the acknowledgements file's entry for its key, as it stands

    @property
    def identity(self) -> ComparisonKey:
        """Its key: as reconcile made it from the sources' ids, else (a comparison made by hand) from their names."""
        if self.key is not None:
            return self.key
        series = SeriesKey(self.measure, place_code(self.geography), self.left, self.right)
        return series.at(Period.from_iso(self.left_period), Period.from_iso(self.right_period))

    @property
    def failed(self) -> bool:
        """Blocks the release: a discrepancy that no acknowledgement settles."""
        return blocks_release(self.status, acknowledged=self.acknowledgement is not None and self.acknowledgement.settles)

    @property
    def evidence(self) -> dict[str, Any]:
        """What an acknowledgement of it records: both values as compared (a figure, or [low, high] if not exact)."""

        def shown(value: Interval | None) -> Any:
            if value is None:
                return None
            return plain_number(value.low) if value.is_exact else value.to_list()

        return {"left": shown(self.left_value), "right": shown(self.right_value)}

    @property
    def consistent(self) -> bool:
        """A one-sided relation (at least, at most) that holds: its status is "agree", though the counts need not."""
        return self.status == Status.AGREE and self.relation in (">=", "<=")

    def to_dict(self) -> dict[str, Any]:
        def interval(value: Interval | None) -> list[float | None] | None:
            return value.to_list() if value is not None else None

        return {
            "key": self.identity.text,
            "measure": self.measure,
            "period": self.period,
            "period_label": self.period_label,
            "geography": self.geography,
            "left": self.left,
            "right": self.right,
            "left_value": interval(self.left_value),
            "right_value": interval(self.right_value),
            "left_period": self.left_period,
            "right_period": self.right_period,
            "left_per_12_months": interval(self.left_per_12_months),
            "right_per_12_months": interval(self.right_per_12_months),
            "difference": interval(self.difference),
            "relation": self.relation,
            "tolerance": self.tolerance,
            "status": self.status,
            **({"evidence": self.evidence} if self.status == Status.DISCREPANCY else {}),
            **({"acknowledgement": self.acknowledgement.to_dict()} if self.acknowledgement is not None else {}),
        }


@dataclass(frozen=True)
class MatchedPair:
    left_id: str
    right_id: str
    linked_on: str  # child_id or demographics
    period_shift: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "left_id": self.left_id,
            "right_id": self.right_id,
            "linked_on": self.linked_on,
            "period_shift": self.period_shift,
        }


@dataclass(frozen=True)
class Unmatched:
    left: str
    right: str
    measure: str
    period: str
    period_label: str
    matched: int
    period_shifts: tuple[MatchedPair, ...]
    only_left: tuple[str, ...]
    only_right: tuple[str, ...]
    # Set when the record ids are withheld (--publish): how many there were, as only-left, only-right, shifts.
    withheld_counts: tuple[int, int, int] | None = None

    @property
    def counts(self) -> tuple[int, int, int]:
        """Deaths only in the left source, only in the right, and dated in different periods."""
        if self.withheld_counts is not None:
            return self.withheld_counts
        return len(self.only_left), len(self.only_right), len(self.period_shifts)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "left": self.left,
            "right": self.right,
            "measure": self.measure,
            "period": self.period,
            "period_label": self.period_label,
            "matched": self.matched,
            "period_shifts": [p.to_dict() for p in self.period_shifts],
            "only_left": list(self.only_left),
            "only_right": list(self.only_right),
        }
        if self.withheld_counts is not None:
            out["record_ids_withheld"] = dict(zip(("only_left", "only_right", "period_shifts"), self.withheld_counts, strict=True))
        return out


@dataclass(frozen=True)
class TrendFlag:
    measure: str
    sources: tuple[str, str]
    directions: tuple[str, str]
    spans: tuple[str, str]
    values: tuple[tuple[float, float], tuple[float, float]]  # per 12 months, first and last
    opposite: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "sources": list(self.sources),
            "directions": list(self.directions),
            "spans": list(self.spans),
            "per_12_months": [list(v) for v in self.values],
            "opposite": self.opposite,
        }


@dataclass(frozen=True)
class SeriesPoint:
    """One source's national value for a measure and period: what the trend charts draw."""

    measure: str
    source: str
    period: str
    period_label: str
    value: Interval | None
    per_12_months: Interval | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "source": self.source,
            "period": self.period,
            "period_label": self.period_label,
            "value": self.value.to_list() if self.value is not None else None,
            "per_12_months": self.per_12_months.to_list() if self.per_12_months is not None else None,
        }


@dataclass(frozen=True)
class CoherenceCheck:
    source: str
    measure: str
    period: str
    geography: str
    parts: str
    total: Interval
    sum_of_parts: Interval
    coherent: bool
    location: str = ""  # file:line of the whole's row
    parts_count: int = 0  # how many parts the file gives
    # One-sided: a part (or the whole) has no upper bound, so the whole can be found too small but never too big.
    partial: bool = False
    partial_reason: str = ""  # why, in words, and what would make the test two-sided

    @property
    def period_label(self) -> str:
        return Period.from_iso(self.period).label

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "measure": self.measure,
            "period": self.period,
            "geography": self.geography,
            "parts": self.parts,
            "total": self.total.to_list(),
            "sum_of_parts": self.sum_of_parts.to_list(),
            "coherent": self.coherent,
            "partial": self.partial,
            "partial_reason": self.partial_reason,
            "location": self.location,
        }


@dataclass(frozen=True)
class ReconcileResult:
    comparisons: tuple[Comparison, ...] = ()
    bridges: tuple[Bridge, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    trends: tuple[TrendFlag, ...] = ()
    coherence: tuple[CoherenceCheck, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    series: tuple[SeriesPoint, ...] = ()
    empty: tuple[EmptyComparison, ...] = ()
    rates: tuple[Rate, ...] = ()
    contrasts: tuple[Contrast, ...] = ()
    missing: tuple[MissingDeaths, ...] = ()
    not_compared: tuple[NotCompared, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()  # each series' latest point against its own past: informs, gates with `gate: true`
    funnels: tuple[LaFunnel, ...] = ()  # each LA's rate against its size, where a measure asks (`funnel:`)

    @property
    def absent(self) -> tuple[MissingDeaths, ...]:
        """Deaths with no record at all in a source that should have them (either severity)."""
        return tuple(m for m in self.missing if m.kind == "absent")

    @property
    def missing_gating(self) -> tuple[MissingDeaths, ...]:
        return tuple(m for m in self.missing if m.gating)

    @property
    def discrepancies(self) -> tuple[Comparison, ...]:
        """The discrepancies that block: beyond tolerance, and not acknowledged (see `acknowledged`)."""
        return tuple(c for c in self.comparisons if c.failed)

    @property
    def empty_gating(self) -> tuple[EmptyComparison, ...]:
        """Comparisons asked for that compared nothing: a gate that compared nothing has not passed."""
        return tuple(e for e in self.empty if e.gating)

    @property
    def passed(self) -> bool:
        return not self.discrepancies and not self.empty_gating and not self.missing_gating and not any(a.blocks for a in self.anomalies)

    def summary(self) -> dict[str, Any]:
        counts = {status: sum(1 for c in self.comparisons if c.status == status) for status in STATUSES}
        return {
            "passed": self.passed,
            "comparisons": len(self.comparisons),
            **counts,
            "consistent": sum(1 for c in self.comparisons if c.consistent),  # of those that agree: a one-sided relation holds
            "opposite_trends": sum(1 for t in self.trends if t.opposite),
            "incoherent_aggregates": sum(1 for c in self.coherence if not c.coherent),
            "empty_comparisons": len(self.empty_gating),
            "missing_deaths": sum(m.count for m in self.absent),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "comparisons": [c.to_dict() for c in self.comparisons],
            "bridges": [b.to_dict() for b in self.bridges],
            "unmatched": [u.to_dict() for u in self.unmatched],
            "trends": [t.to_dict() for t in self.trends],
            "coherence": [c.to_dict() for c in self.coherence],
            "series": [p.to_dict() for p in self.series],
            "empty_comparisons": [e.to_dict() for e in self.empty],
            "rates": [r.to_dict() for r in self.rates],
            "contrasts": [c.to_dict() for c in self.contrasts],
            "missing": [m.to_dict() for m in self.missing],
            "not_compared": [n.to_dict() for n in self.not_compared],
            "anomalies": [a.to_dict() for a in self.anomalies],
            "funnels": [row for f in self.funnels for row in f.rows()],
            "notes": list(self.notes),
        }
