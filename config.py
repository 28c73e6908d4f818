"""The whole run config, every key typed and validated here: sources, severities, measures,
linkage and geographies. `check --config`, `reconcile` and `run` all go through `load_config`.

Unknown keys are errors that name the key, so a typo never silently changes a release gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .canonical.records import COLUMNS
from .canonical.registry import PUBLISHED, SourceOptions, config_kinds, source_kinds
from .domain.catalogue import SEVERITIES, is_known_check
from .domain.dates import parse_one
from .domain.geography import GEOGRAPHY_LEVELS
from .domain.periods import Period
from .errors import ConfigError
from .reconcile.measures import RELATIONS, CompareSpec, Measure, Selector, selected_sources, sources_named

SOURCE_KEYS = {"kind", "path", "columns", "la_code", "severity", "reference_date", "rounding"}
TOP_KEYS = {"reference_date", "sources", "measures", "severity", "linkage", "geographies"}
MEASURE_KEYS = {"id", "title", "period", "select", "compare", "trend", "tolerance"}
SELECT_KEYS = {"where", "filter", "value"}
COMPARE_KEYS = {"left", "right", "relation", "tolerance"}
PERIOD_KEYS = {"start", "end"}
DEFAULT_LINK_DAYS = 7


@dataclass(frozen=True)
class RunConfig:
    path: Path
    reference_date: dt.date | None
    sources: tuple[SourceOptions, ...]
    published: tuple[SourceOptions, ...]
    raw: Mapping[str, Any] = field(default_factory=dict)
    rounding: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # published source -> level -> base
    measures: tuple[Measure, ...] = ()
    link_days: int = DEFAULT_LINK_DAYS
    geographies: tuple[str, ...] = GEOGRAPHY_LEVELS

    @property
    def kinds(self) -> dict[str, str]:
        """Each configured source's name and kind."""
        return {o.name: o.kind for o in self.sources} | {o.name: PUBLISHED for o in self.published}


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that also refuses a key given twice (e.g. one source named twice)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"key {key!r} is given twice", where=f"line {key_node.start_mark.line + 1}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _construct_timestamp(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise ConfigError(f"{node.value!r} is not a real date", where=f"line {node.start_mark.line + 1}") from None


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("config file not found", path=path) from None
    except (UnicodeDecodeError, IsADirectoryError) as error:
        raise ConfigError(f"config is not a UTF-8 text file ({type(error).__name__})", path=path) from None
    try:
        loader = _UniqueKeyLoader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except ConfigError as error:
        raise ConfigError(error.message, path=path, where=error.where) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ConfigError(f"YAML error: {problem}", path=path, where=where) from None


def _date(value: Any, path: Path, key: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    parsed = parse_one(str(value))
    if parsed is None:
        raise ConfigError(f"{key}: {value!r} is not a YYYY-MM-DD date", path=path)
    return pd_date(parsed)


def pd_date(value: Any) -> dt.date:
    import pandas as pd

    return pd.Timestamp(value).date()


def _severity(value: Any, path: Path, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must map check ids to error or warning", path=path)
    out: dict[str, str] = {}
    for check_id, level in value.items():
        check_id = str(check_id)
        family_wildcard = check_id.endswith(".*")
        if not family_wildcard and not is_known_check(check_id):
            raise ConfigError(f"{key}: unknown check id {check_id!r}", path=path)
        if level not in SEVERITIES:
            raise ConfigError(f"{key}.{check_id}: severity must be error or warning, not {level!r}", path=path)
        out[check_id] = level
    return out


def _paths(value: Any, base: Path, path: Path, name: str) -> tuple[Path, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or any(not isinstance(item, str) or not item for item in items):
        raise ConfigError(f"sources.{name}.path must be a file name or a list of them", path=path)
    resolved: list[Path] = []
    for item in items:
        candidate = Path(item) if Path(item).is_absolute() else base / item
        if any(char in item for char in "*?["):
            root = Path(candidate.anchor) if candidate.is_absolute() else base
            matches = sorted(root.glob(str(candidate.relative_to(root)) if candidate.is_absolute() else item))
            if not matches:
                raise ConfigError(f"sources.{name}.path: {item!r} matches no file", path=path)
            resolved.extend(matches)
        else:
            resolved.append(candidate)
    return tuple(resolved)


def load_config(path: str | Path) -> RunConfig:
    config_path = Path(path)
    document = load_yaml(config_path)
    if not isinstance(document, Mapping):
        raise ConfigError("config must be a YAML mapping", path=config_path)
    unknown = sorted(set(map(str, document)) - TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(TOP_KEYS))}", path=config_path)
    reference_date = _date(document.get("reference_date"), config_path, "reference_date")
    global_severity = _severity(document.get("severity"), config_path, "severity")
    sources_node = document.get("sources")
    if not isinstance(sources_node, Mapping) or not sources_node:
        raise ConfigError("sources: give at least one source", path=config_path)
    base = config_path.parent
    sources: list[SourceOptions] = []
    published: list[SourceOptions] = []
    rounding: dict[str, dict[str, int]] = {}
    for name, node in sources_node.items():
        name = str(name)
        if not isinstance(node, Mapping):
            raise ConfigError(f"sources.{name} must be a mapping with kind and path", path=config_path)
        unknown = sorted(set(map(str, node)) - SOURCE_KEYS)
        if unknown:
            raise ConfigError(
                f"sources.{name}: unknown key {unknown[0]!r}; expected {', '.join(sorted(SOURCE_KEYS))}", path=config_path
            )
        kind = node.get("kind")
        if kind not in config_kinds():
            raise ConfigError(f"sources.{name}.kind must be one of {', '.join(config_kinds())}, not {kind!r}", path=config_path)
        if "path" not in node:
            raise ConfigError(f"sources.{name}: path is required", path=config_path)
        columns = node.get("columns") or {}
        if not isinstance(columns, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
            raise ConfigError(f"sources.{name}.columns must map their column names to ours", path=config_path)
        options = SourceOptions(
            name=name,
            kind=kind,
            paths=_paths(node["path"], base, config_path, name),
            columns=dict(columns),
            la_code=str(node["la_code"]) if node.get("la_code") else None,
            reference_date=_date(node.get("reference_date"), config_path, f"sources.{name}.reference_date") or reference_date,
            severity={**global_severity, **_severity(node.get("severity"), config_path, f"sources.{name}.severity")},
        )
        (published if kind == PUBLISHED else sources).append(options)
        if node.get("rounding") is not None:
            levels = node["rounding"]
            if not isinstance(levels, Mapping) or not all(isinstance(v, int) and v >= 1 for v in levels.values()):
                raise ConfigError(f"sources.{name}.rounding must map geographic levels to a whole-number base", path=config_path)
            rounding[name] = {str(k).strip().lower(): int(v) for k, v in levels.items()}
    config = RunConfig(config_path, reference_date, tuple(sources), tuple(published), dict(document), rounding)
    try:
        measures = _measures(document.get("measures", "default"), config.kinds)
        link_days = _link_days(document.get("linkage"))
        geographies = _geographies(document.get("geographies", list(GEOGRAPHY_LEVELS)))
    except ConfigError as error:
        raise ConfigError(error.message, path=config_path) from None
    return replace(config, measures=measures, link_days=link_days, geographies=geographies)


def _measures(node: Any, kinds: Mapping[str, str]) -> tuple[Measure, ...]:
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
        compared = [*(n for c in measure.compare for n in (c.left, c.right)), *measure.trend]
        unknown = [name for name in (*measure.select, *compared) if name not in known]
        if unknown:
            raise ConfigError(f"{where} names {unknown[0]!r}, which is neither a configured source nor a kind ({', '.join(sorted(known))})")
        selected = set(selected_sources(measure, kinds))
        unselected = [name for name in compared if sources_named(name, kinds) and not selected & set(sources_named(name, kinds))]
        if unselected:
            raise ConfigError(f"{where} compares {unselected[0]!r} but does not select it")


def _link_days(linkage: Any) -> int:
    linkage = linkage or {}
    if not isinstance(linkage, Mapping) or set(linkage) - {"death_date_days"}:
        raise ConfigError("linkage takes death_date_days")
    days = linkage.get("death_date_days", DEFAULT_LINK_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ConfigError("linkage.death_date_days must be a whole number of days")
    return days


def _geographies(node: Any) -> tuple[str, ...]:
    if (
        not isinstance(node, list)
        or not all(isinstance(n, str) for n in node)
        or not set(node) <= set(GEOGRAPHY_LEVELS)
        or "england" not in node
    ):
        raise ConfigError(f"geographies must be a list from {', '.join(GEOGRAPHY_LEVELS)}, including england")
    return tuple(node)


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


def _tolerance(node: Any, where: str) -> dict[str, float]:
    node = node or {}
    if not isinstance(node, Mapping) or set(node) - {"abs", "rel"}:
        raise ConfigError(f"{where}: tolerance takes abs and rel")
    try:
        return {"abs": float(node.get("abs", 0)), "rel": float(node.get("rel", 0))}
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: tolerance abs and rel must be numbers") from None


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
            explicit = Period(_period_date(period.get("start"), where), _period_date(period.get("end"), where))
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
