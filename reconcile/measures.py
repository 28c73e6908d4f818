"""Measures: what each source counts for a comparison. Defaults ship in measures.yaml beside this
module; config.py reads and validates them with the rest of the run config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.intervals import Interval
from ..domain.periods import Period
from ..model.anomalies import BAND_LEVEL, FUNNEL_LEVELS, MIN_POINTS

RELATIONS = ("==", "<=", ">=")
Values = dict[tuple[Period, str], Interval | None]  # a source's values for one measure, by period and geography


@dataclass(frozen=True)
class RateRequest:
    """`rate: {per: 100000, denominator: NAME}`: the measure's counts per `per` of a denominator source."""

    per: float
    denominator: str


@dataclass(frozen=True)
class Selector:
    where: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    filter: Mapping[str, str] = field(default_factory=dict)
    value: str = "number"
    rate: RateRequest | None = None


EXACT: Mapping[str, float] = {"abs": 0.0, "rel": 0.0}
MISSING_SEVERITIES = ("error", "warning")


def tolerance_levels(single: Mapping[str, float] | None) -> dict[str, Mapping[str, float]]:
    """A single tolerance applies at national and regional level only; local authorities compare exactly.

    National tolerances are sized for England's hundreds of deaths: at one LA's handful they would pass a missing death.
    """
    given = dict(single or EXACT)
    return {"england": given, "region": given, "local_authority": dict(EXACT)}


@dataclass(frozen=True)
class LearnedSetting:
    """`tolerance: learned` (or `{learned: {min_points, level}, abs, rel}`): the allowed difference learned from the
    series' earlier releases in the run history (reconcile/learned.py); `tolerances` are the declared fallback."""

    min_points: int = MIN_POINTS
    level: float = BAND_LEVEL


@dataclass(frozen=True)
class CompareSpec:
    left: str
    right: str
    relation: str
    # Per geographic level (GEOGRAPHY_LEVELS: england, region, local_authority) -> {abs, rel}; every level present.
    tolerances: Mapping[str, Mapping[str, float]]
    allow_empty: bool = False  # a comparison that finds no common period or geography is reported, not gating
    reason: str = ""  # why the relation is expected, in words (shown with the comparison)
    learned: LearnedSetting | None = None  # `tolerance: learned`: `tolerances` apply only until the history has enough


@dataclass(frozen=True)
class AnomalySetting:
    """`anomaly:` of a measure: the band's two-sided level and the fewest past points it is built from."""

    level: float = BAND_LEVEL
    min_points: int = MIN_POINTS
    gate: bool = False  # an unusual point blocks the release (a finding of severity error, not warning)


@dataclass(frozen=True)
class FunnelSetting:
    """`funnel:` of a measure with a rate: the levels of its limits around England's rate."""

    levels: tuple[float, ...] = FUNNEL_LEVELS


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    period_kind: str  # financial_year, calendar_year or explicit
    explicit_period: Period | None
    select: Mapping[str, Selector]
    compare: tuple[CompareSpec, ...]
    trend: tuple[str, ...]
    contrast: tuple[tuple[str, str], ...] = ()  # (left, right): the ratio of their rates, which informs, never gates
    definition: str = ""  # what is counted, by which date, which records: in words, for the report
    # A death in one source with no record at all in the other (within the periods and places both cover):
    # `error` blocks the release whatever the count tolerance says; `warning` reports it.
    missing: str = "error"
    anomaly: AnomalySetting | None = AnomalySetting()  # None: `anomaly: off`
    funnel: FunnelSetting | None = None  # `funnel: {}`: each LA's rate against its size, the latest period


def sources_named(wanted: str, kinds: Mapping[str, str]) -> list[str]:
    """The configured sources a measure means by `wanted`: the source of that name, else every source of that kind."""
    of_kind = [name for name, kind in kinds.items() if kind == wanted]
    if wanted in kinds:  # a source named like its kind stands for its kind: a second source of it is compared too
        return [wanted, *(name for name in of_kind if name != wanted)] if kinds[wanted] == wanted else [wanted]
    return of_kind


def selected_sources(measure: Measure, kinds: Mapping[str, str]) -> dict[str, Selector]:
    """Each configured source the measure selects, by its name or else by its kind."""
    chosen = {name: measure.select.get(name) or measure.select.get(kind) for name, kind in kinds.items()}
    return {name: selector for name, selector in chosen.items() if selector is not None}
