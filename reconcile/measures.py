"""Measures: what each source counts for a comparison. Defaults ship in measures.yaml beside this
module; config.py reads and validates them with the rest of the run config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..domain.intervals import Interval
from ..domain.periods import Period

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


@dataclass(frozen=True)
class CompareSpec:
    left: str
    right: str
    relation: str
    tolerance: Mapping[str, float]
    allow_empty: bool = False  # a comparison that finds no common period or geography is reported, not gating
    reason: str = ""  # why the relation is expected, in words (shown with the comparison)


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


def sources_named(wanted: str, kinds: Mapping[str, str]) -> list[str]:
    """The configured sources a measure means by `wanted`: the source of that name, else every source of that kind."""
    if wanted in kinds:
        return [wanted]
    return [name for name, kind in kinds.items() if kind == wanted]


def selected_sources(measure: Measure, kinds: Mapping[str, str]) -> dict[str, Selector]:
    """Each configured source the measure selects, by its name or else by its kind."""
    chosen = {name: measure.select.get(name) or measure.select.get(kind) for name, kind in kinds.items()}
    return {name: selector for name, selector in chosen.items() if selector is not None}
