"""Measures in a run config (or the shipped defaults): parsed, typed and checked against the sources."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import yaml

from ..canonical.records import COLUMNS
from ..canonical.registry import DENOMINATOR, PUBLISHED, source_kinds
from ..domain.geography import PUBLISHED_LEVELS
from ..domain.periods import Period
from ..errors import ConfigError
from ..reconcile.measures import (
    MISSING_SEVERITIES,
    RELATIONS,
    CompareSpec,
    Measure,
    RateRequest,
    Selector,
    selected_sources,
    sources_named,
    tolerance_levels,
)
from .selection import where_values

MEASURE_KEYS = {"id", "title", "definition", "period", "select", "compare", "trend", "tolerance", "contrast", "missing"}
SELECT_KEYS = {"where", "filter", "value", "rate"}
COMPARE_KEYS = {"left", "right", "relation", "tolerance", "allow_empty", "reason"}
RATE_KEYS = {"per", "denominator"}
PERIOD_KEYS = {"start", "end"}


def measures_for(node: Any, kinds: Mapping[str, str]) -> tuple[Measure, ...]:
    """The config's `measures:` ('default' or absent: the shipped ones), checked against its sources."""
    if node in (None, "default"):
        return default_measures()
    measures = parse_measures(node)
    _check_source_names(measures, kinds)
    return measures


def _check_source_names(measures: tuple[Measure, ...], kinds: Mapping[str, str]) -> None:
    """A measure that names no configured source or kind would compare nothing and pass: refuse it."""
    known = set(kinds) | set(source_kinds()) | {PUBLISHED}
    for position, measure in enumerate(measures, start=1):
        where = f"measures[{position}] ({measure.id})"
        compared = [*(n for c in measure.compare for n in (c.left, c.right)), *measure.trend, *(n for pair in measure.contrast for n in pair)]
        unknown = [name for name in (*measure.select, *compared) if name not in known]
        if unknown:
            raise ConfigError(f"{where} names {unknown[0]!r}, which is neither a configured source nor a kind ({', '.join(sorted(known))})")
        _check_pairs_differ(measure, kinds, where)
        selected = set(selected_sources(measure, kinds))
        unselected = [name for name in compared if sources_named(name, kinds) and not selected & set(sources_named(name, kinds))]
        if unselected:
            raise ConfigError(f"{where} compares {unselected[0]!r} but does not select it")
        for name, selector in measure.select.items():
            if selector.rate is not None and kinds.get(selector.rate.denominator) != DENOMINATOR:
                raise ConfigError(f"{where}: select.{name}.rate names {selector.rate.denominator!r}, which is not a "
                                  "configured source of kind: denominator")  # fmt: skip


def _check_pairs_differ(measure: Measure, kinds: Mapping[str, str], where: str) -> None:
    """A source compared with itself (by one name, or a name and a kind meaning it alone) agrees every time: refuse it."""
    pairs = [(f"compare[{n}]", c.left, c.right) for n, c in enumerate(measure.compare, start=1)]
    pairs += [("trend", *measure.trend)] if len(measure.trend) == 2 else []
    pairs += [(f"contrast[{n}]", left, right) for n, (left, right) in enumerate(measure.contrast, start=1)]
    for element, left, right in pairs:
        named = sources_named(left, kinds)
        if left == right or (len(named) == 1 and named == sources_named(right, kinds)):
            same = f" names {left!r} twice" if left == right else f": {left!r} and {right!r} are both the source {named[0]!r}"
            raise ConfigError(f"{where}: {element}{same}, which can only agree with itself; compare two different sources")


def default_measures() -> tuple[Measure, ...]:
    text = resources.files("triangulate.reconcile").joinpath("measures.yaml").read_text(encoding="utf-8")
    return parse_measures(yaml.safe_load(text), "measures.yaml (defaults)")


def _period_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a YYYY-MM-DD date") from None


def tolerance_of(node: Any, where: str) -> dict[str, float]:
    """The one tolerance rule: abs and rel, each a finite number of at least 0 (measures and `revisions`)."""
    node = node or {}
    if not isinstance(node, Mapping) or set(node) - {"abs", "rel"}:
        raise ConfigError(f"{where}: tolerance takes abs and rel")
    out = {}
    for key in ("abs", "rel"):
        value = node.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{where}: tolerance {key} must be a number of at least 0, not {value!r}")
        out[key] = float(value)
    return out


def tolerances_of(node: Any, where: str) -> dict[str, Mapping[str, float]]:
    """A compare's tolerance, per geographic level: `{abs, rel}` (national and regional; LAs exact), or
    `{national: {abs, rel}, regional: ..., local authority: ...}` (a level not named compares exactly)."""
    if isinstance(node, Mapping) and node and set(map(str, node)) <= set(PUBLISHED_LEVELS):
        levels = tolerance_levels(None)
        for level, tolerance in node.items():
            levels[PUBLISHED_LEVELS[str(level)]] = tolerance_of(tolerance, f"{where}.tolerance.{level}")
        return levels
    if isinstance(node, Mapping) and set(map(str, node)) - {"abs", "rel"}:
        raise ConfigError(f"{where}: tolerance takes abs and rel, or levels ({', '.join(PUBLISHED_LEVELS)}) each with abs and rel")
    return tolerance_levels(tolerance_of(node, where) if node is not None else None)


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
        measure_id = _text(item["id"], f"{where}.id")
        if measure_id in seen:
            raise ConfigError(f"{where}: measure {measure_id!r} is defined twice")
        seen.add(measure_id)
        period, explicit = _period(item.get("period", "financial_year"), where)
        select = {_text(source, f"{where}.select"): _selector(spec, f"{where}: select.{source}")
                  for source, spec in _mapping(item.get("select"), f"{where}.select").items()}  # fmt: skip
        compares = tuple(_compare(spec, item.get("tolerance"), where) for spec in _list(item.get("compare"), f"{where}.compare"))
        trend = tuple(_text(s, f"{where}.trend") for s in _list(item.get("trend"), f"{where}.trend"))
        if trend and len(trend) != 2:
            raise ConfigError(f"{where}: trend takes exactly two sources")
        contrast = tuple(_contrast(spec, where) for spec in _list(item.get("contrast"), f"{where}.contrast"))
        title = _text(item.get("title", measure_id), f"{where}.title")
        definition = _words(item.get("definition"), f"{where}.definition")
        missing = item.get("missing", "error")
        if missing not in MISSING_SEVERITIES:
            raise ConfigError(f"{where}: missing must be error or warning, not {missing!r}")
        measures.append(Measure(measure_id, title, period, explicit, select, compares, trend, contrast, definition, missing))
    return tuple(measures)


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise ConfigError(f"{where} must be a name, not {value!r}")
    return str(value)


def _words(value: Any, where: str) -> str:
    """Free text for people (a definition, a reason): optional, but text when given."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be text, not {value!r}")
    return " ".join(value.split())


def _mapping(value: Any, where: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    return value


def _period(period: Any, where: str) -> tuple[str, Period | None]:
    if isinstance(period, Mapping):
        if set(map(str, period)) != PERIOD_KEYS:
            raise ConfigError(f"{where}: an explicit period takes exactly start and end")
        explicit = Period(_period_date(period.get("start"), where), _period_date(period.get("end"), where))
        if explicit.end < explicit.start:
            raise ConfigError(f"{where}: the period ends before it starts")
        return "explicit", explicit
    if period not in ("financial_year", "calendar_year"):
        raise ConfigError(f"{where}: period must be financial_year, calendar_year or {{start, end}}")
    return str(period), None


def _selector(spec: Any, where: str) -> Selector:
    spec = spec or {}
    if not isinstance(spec, Mapping) or set(spec) - SELECT_KEYS:
        raise ConfigError(f"{where} takes where, or filter and value (and rate)")
    where_node = _mapping(spec.get("where"), f"{where}.where")
    unknown_columns = sorted(set(map(str, where_node)) - set(COLUMNS))
    if unknown_columns:
        raise ConfigError(f"{where} selects on unknown column {unknown_columns[0]!r}; death records have {', '.join(COLUMNS)}")
    filters = _mapping(spec.get("filter"), f"{where}.filter")
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in filters.values()):
        raise ConfigError(f"{where}.filter must map columns to values")
    return Selector(
        where={str(k): where_values(str(k), v, f"{where}.where.{k}") for k, v in where_node.items()},
        filter={str(k): str(v) for k, v in filters.items()},
        value=_text(spec.get("value", "number"), f"{where}.value"),
        rate=_rate(spec.get("rate"), where) if "rate" in spec else None,
    )


def _rate(node: Any, where: str) -> RateRequest:
    if not isinstance(node, Mapping) or set(map(str, node)) != RATE_KEYS:
        raise ConfigError(f"{where}.rate takes exactly per and denominator, e.g. {{per: 100000, denominator: ons_children}}")
    per = node["per"]
    if isinstance(per, bool) or not isinstance(per, int | float) or not math.isfinite(per) or per <= 0:
        raise ConfigError(f"{where}.rate.per must be a positive number, such as 100000")
    return RateRequest(float(per), _text(node["denominator"], f"{where}.rate.denominator"))


def _compare(spec: Any, measure_tolerance: Any, where: str) -> CompareSpec:
    if not isinstance(spec, Mapping) or set(spec) - COMPARE_KEYS or not {"left", "right"} <= set(spec):
        raise ConfigError(f"{where}: each compare needs left and right (and optional relation, tolerance, allow_empty, reason)")
    relation = str(spec.get("relation", "=="))
    if relation not in RELATIONS:
        raise ConfigError(f"{where}: relation must be one of {', '.join(RELATIONS)}")
    allow_empty = spec.get("allow_empty", False)
    if not isinstance(allow_empty, bool):
        raise ConfigError(f"{where}: allow_empty must be true or false")
    tolerance = tolerances_of(spec.get("tolerance", measure_tolerance), where)
    reason = _words(spec.get("reason"), f"{where}.reason")
    return CompareSpec(_text(spec["left"], f"{where}.left"), _text(spec["right"], f"{where}.right"), relation, tolerance, allow_empty,
                       reason)  # fmt: skip


def _contrast(spec: Any, where: str) -> tuple[str, str]:
    if not isinstance(spec, Mapping) or set(map(str, spec)) != {"left", "right"}:
        raise ConfigError(f"{where}: each contrast takes exactly left and right")
    return _text(spec["left"], f"{where}.contrast.left"), _text(spec["right"], f"{where}.contrast.right")
