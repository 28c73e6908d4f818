"""Measures: what each source counts for a comparison, defined in YAML (defaults ship here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ..canonical import COLUMNS
from ..errors import ConfigError
from .periods import Period

RELATIONS = ("==", "<=", ">=")
MEASURE_KEYS = {"id", "title", "period", "select", "compare", "trend", "tolerance"}
SELECT_KEYS = {"where", "filter", "value"}
COMPARE_KEYS = {"left", "right", "relation", "tolerance"}


@dataclass(frozen=True)
class Selector:
    where: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    filter: Mapping[str, str] = field(default_factory=dict)
    value: str = "number"


@dataclass(frozen=True)
class CompareSpec:
    left: str
    right: str
    relation: str
    tolerance: Mapping[str, float]


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    period_kind: str  # financial_year, calendar_year or explicit
    explicit_period: Period | None
    select: Mapping[str, Selector]
    compare: tuple[CompareSpec, ...]
    trend: tuple[str, ...]


def sources_named(wanted: str, kinds: Mapping[str, str]) -> list[str]:
    """The configured sources a measure means by `wanted`: the source of that name, else every source of that kind."""
    if wanted in kinds:
        return [wanted]
    return [name for name, kind in kinds.items() if kind == wanted]


def selected_sources(measure: Measure, kinds: Mapping[str, str]) -> dict[str, Selector]:
    """Each configured source the measure selects, by its name or else by its kind."""
    chosen = {name: measure.select.get(name) or measure.select.get(kind) for name, kind in kinds.items()}
    return {name: selector for name, selector in chosen.items() if selector is not None}


def default_measures() -> tuple[Measure, ...]:
    text = resources.files(__package__).joinpath("measures.yaml").read_text(encoding="utf-8")
    return parse_measures(yaml.safe_load(text), "measures.yaml (defaults)")


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a YYYY-MM-DD date") from None


def _tolerance(node: Any, where: str) -> dict[str, float]:
    node = node or {}
    if not isinstance(node, Mapping) or set(node) - {"abs", "rel"}:
        raise ConfigError(f"{where}: tolerance takes abs and rel")
    try:
        return {"abs": float(node.get("abs", 0)), "rel": float(node.get("rel", 0))}
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: tolerance abs and rel must be numbers") from None


PERIOD_KEYS = {"start", "end"}


def parse_measures(node: Any, origin: str = "") -> tuple[Measure, ...]:
    """`origin` prefixes messages when the path is not added by the caller (the shipped defaults)."""
    prefix = f"{origin}: " if origin else ""
    if not isinstance(node, Sequence) or isinstance(node, str) or not node:
        raise ConfigError(f"{prefix}measures must be 'default' or a non-empty list of measures")
    measures = []
    seen: set[str] = set()
    for position, item in enumerate(node, start=1):
        where = f"{prefix}measures[{position}]"
        if not isinstance(item, Mapping) or "id" not in item:
            raise ConfigError(f"{where} needs an id")
        unknown = sorted(set(map(str, item)) - MEASURE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}")
        measure_id = str(item["id"])
        if measure_id in seen:
            raise ConfigError(f"{where}: measure {measure_id!r} is defined twice")
        seen.add(measure_id)
        period = item.get("period", "financial_year")
        explicit = None
        if isinstance(period, Mapping):
            if set(map(str, period)) != PERIOD_KEYS:
                raise ConfigError(f"{where}: an explicit period takes exactly start and end")
            explicit = Period(_date(period.get("start"), where), _date(period.get("end"), where))
            if explicit.end < explicit.start:
                raise ConfigError(f"{where}: the period ends before it starts")
            period = "explicit"
        elif period not in ("financial_year", "calendar_year"):
            raise ConfigError(f"{where}: period must be financial_year, calendar_year or {{start, end}}")
        select: dict[str, Selector] = {}
        for source, spec in (item.get("select") or {}).items():
            spec = spec or {}
            if not isinstance(spec, Mapping) or set(spec) - SELECT_KEYS:
                raise ConfigError(f"{where}: select.{source} takes where, or filter and value")
            where_node = spec.get("where") or {}
            unknown_columns = sorted(set(map(str, where_node)) - set(COLUMNS))
            if unknown_columns:
                raise ConfigError(
                    f"{where}: select.{source} selects on unknown column {unknown_columns[0]!r}; "
                    f"death records have {', '.join(COLUMNS)}"
                )
            select[str(source)] = Selector(
                where={str(k): tuple(v if isinstance(v, list) else [v]) for k, v in where_node.items()},
                filter={str(k): str(v) for k, v in (spec.get("filter") or {}).items()},
                value=str(spec.get("value", "number")),
            )
        measure_tolerance = item.get("tolerance")
        compares = []
        for spec in item.get("compare") or []:
            if not isinstance(spec, Mapping) or set(spec) - COMPARE_KEYS or not {"left", "right"} <= set(spec):
                raise ConfigError(f"{where}: each compare needs left and right (and optional relation, tolerance)")
            relation = str(spec.get("relation", "=="))
            if relation not in RELATIONS:
                raise ConfigError(f"{where}: relation must be one of {', '.join(RELATIONS)}")
            compares.append(
                CompareSpec(
                    str(spec["left"]), str(spec["right"]), relation, _tolerance(spec.get("tolerance", measure_tolerance), where)
                )
            )
        trend = tuple(str(s) for s in item.get("trend") or ())
        if trend and len(trend) != 2:
            raise ConfigError(f"{where}: trend takes exactly two sources")
        measures.append(
            Measure(measure_id, str(item.get("title", measure_id)), str(period), explicit, select, tuple(compares), trend)
        )
    return tuple(measures)
