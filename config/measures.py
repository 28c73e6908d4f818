"""Measures in a run config (or the shipped defaults): read into types and checked against the sources.

Their shape is `schema.json`'s (`$defs/measures`), checked here too, so the shipped defaults and a measure given
in Python obey the same rules as a run config's `measures:`; what is checked below is what a schema cannot say.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from ..canonical.records import COLUMNS
from ..canonical.registry import DENOMINATOR, PUBLISHED, source_kinds
from ..domain.geography import PUBLISHED_LEVELS
from ..domain.periods import Period
from ..errors import ConfigError
from ..model.anomalies import level_key
from ..reconcile.measures import (
    AnomalySetting,
    CompareSpec,
    FunnelSetting,
    LearnedSetting,
    Measure,
    RateRequest,
    Selector,
    selected_sources,
    sources_named,
    tolerance_levels,
)
from .schema import check_shape
from .selection import where_values


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


def tolerance_of(node: Any, where: str) -> dict[str, float]:
    """The one tolerance rule: abs and rel, each a finite number of at least 0 (measures and `revisions`, which has
    no schema: hence its checks here)."""
    node = node or {}
    if not isinstance(node, Mapping):
        raise ConfigError(f"{where}: a tolerance takes abs and rel, not {node!r:.40}")
    unknown = sorted(map(str, set(node) - {"abs", "rel"}))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; a tolerance takes abs and rel")
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
    node = check_shape(node, "measures", at=f"{prefix}measures")  # as the schema sees it: YAML's dates as their text
    measures = []
    seen: set[str] = set()
    for position, item in enumerate(node, start=1):
        where = f"{prefix}measures[{position}]"
        measure_id = str(item["id"])
        if measure_id in seen:
            raise ConfigError(f"{where}: measure {measure_id!r} is defined twice")
        seen.add(measure_id)
        period, explicit = _period(item.get("period", "financial_year"), where)
        selectors = (item.get("select") or {}).items()
        select = {str(source): _selector(spec, f"{where}: select.{source}") for source, spec in selectors}
        compares = tuple(_compare(spec, item.get("tolerance"), where) for spec in item.get("compare") or ())
        trend = tuple(str(name) for name in item.get("trend") or ())
        contrast = tuple((str(spec["left"]), str(spec["right"])) for spec in item.get("contrast") or ())
        title = item.get("title", measure_id)
        measures.append(Measure(measure_id, title, period, explicit, select, compares, trend, contrast,
                                _words(item.get("definition")), item.get("missing", "error"), _anomaly(item.get("anomaly", {})),
                                _funnel(item)))  # fmt: skip
    return tuple(measures)


def _anomaly(node: object) -> AnomalySetting | None:
    """`anomaly:` as the schema accepted it: off (YAML's `off` is false), or the band's level and fewest past points."""
    if node in ("off", False):
        return None
    given = node if isinstance(node, dict) else {}
    return AnomalySetting(float(given.get("level", AnomalySetting.level)), int(given.get("min_points", AnomalySetting.min_points)),
                          bool(given.get("gate", False)))  # fmt: skip


def _funnel(item: dict) -> FunnelSetting | None:  # type: ignore[type-arg]
    """`funnel: {}` (or `{levels: [...]}`): each LA's rate in a funnel; absent: none."""
    if "funnel" not in item or item["funnel"] in ("off", False):  # YAML's `off` is false
        return None
    given = item["funnel"] or {}
    levels = tuple(sorted(float(level) for level in given.get("levels", FunnelSetting.levels)))
    if len({level_key(level) for level in levels}) < len(levels):
        raise ConfigError(f"measure {item['id']}: funnel.levels {list(levels)} name one level twice (to 6 figures)")
    return FunnelSetting(levels)


def _words(value: str | None) -> str:
    """Free text for people (a definition, a reason), folded to one line."""
    return " ".join((value or "").split())


def _period(period: Any, where: str) -> tuple[str, Period | None]:
    if not isinstance(period, Mapping):
        return str(period), None
    explicit = Period(_period_date(period["start"], f"{where}.period.start"), _period_date(period["end"], f"{where}.period.end"))
    if explicit.end < explicit.start:
        raise ConfigError(f"{where}: the period ends before it starts")
    return "explicit", explicit


def _period_date(value: str, where: str) -> dt.date:
    """A YYYY-MM-DD the schema let through, which must also be a real day (a quoted '2022-02-30' is not)."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a real date") from None


def _selector(spec: Any, where: str) -> Selector:
    spec = spec or {}
    where_node = spec.get("where") or {}
    unknown_columns = sorted(set(map(str, where_node)) - set(COLUMNS))
    if unknown_columns:
        raise ConfigError(f"{where} selects on unknown column {unknown_columns[0]!r}; death records have {', '.join(COLUMNS)}")
    rate = spec.get("rate")
    return Selector(
        where={str(k): where_values(str(k), v, f"{where}.where.{k}") for k, v in where_node.items()},
        filter={str(k): str(v) for k, v in (spec.get("filter") or {}).items()},
        value=spec.get("value", "number"),
        rate=RateRequest(float(rate["per"]), str(rate["denominator"])) if rate is not None else None,
    )


def _compare(spec: Mapping[str, Any], measure_tolerance: Any, where: str) -> CompareSpec:
    node = spec.get("tolerance", measure_tolerance)
    learned, declared = _learned(node)
    if learned is not None and node == "learned" and "tolerance" in spec:  # a compare's bare `learned`: the measure's
        inherited, declared = _learned(measure_tolerance)  # declared tolerance meanwhile, and its learning settings
        learned = inherited or learned
    return CompareSpec(str(spec["left"]), str(spec["right"]), spec.get("relation", "=="), tolerances_of(declared, where),
                       spec.get("allow_empty", False), _words(spec.get("reason")), learned)  # fmt: skip


def _learned(node: Any) -> tuple[LearnedSetting | None, Any]:
    """A tolerance as the schema accepted it -> (how to learn it, or None; the declared tolerance that applies until
    the history has enough: `{abs, rel}` beside `learned:`, else none, i.e. exact)."""
    if node == "learned":
        return LearnedSetting(), None
    if isinstance(node, Mapping) and "learned" in node:
        given = node["learned"] or {}
        setting = LearnedSetting(int(given.get("min_points", LearnedSetting.min_points)), float(given.get("level", LearnedSetting.level)))
        return setting, {key: value for key, value in node.items() if key != "learned"} or None
    return None, node
