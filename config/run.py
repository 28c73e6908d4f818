"""The run config's sources and top-level keys; `load_config` validates the whole config.

Unknown keys are errors that name the key, so a typo never silently changes a release gate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..canonical.published import DenominatorOptions, PublishedSettings, RateSpec
from ..canonical.registry import DENOMINATOR, PUBLISHED, SourceOptions, config_kinds
from ..domain.catalogue import SEVERITIES, is_known_check
from ..domain.dates import parse_one
from ..domain.geography import GEOGRAPHY_LEVELS, PUBLISHED_LEVELS, is_known_la
from ..domain.inputs import label_problem
from ..errors import ConfigError
from ..reconcile.measures import Measure
from .loader import load_yaml
from .measures import measures_for
from .schema import check_shape
from .selection import check_distinct_files

RECORD_KEYS = {"kind", "path", "columns", "values", "la_code", "severity", "reference_date", "coverage", "same_file_as"}
PUBLISHED_KEYS = {"kind", "path", "columns", "severity", "rounding", "rates", "symbols"}
DENOMINATOR_KEYS = {"kind", "path", "columns", "value", "filter", "mid_year"}
RATE_KEYS = {"rate", "count", "denominator", "per"}
PACKAGE_DATA = "triangulate:"
TOP_KEYS = {"reference_date", "sources", "measures", "severity", "linkage", "geographies", "history", "release"}
DEFAULT_LINK_DAYS = 7
ROUNDING_FORMS = '"rounding: none" (exact counts) or "rounding: {national: 10, regional: 10, local authority: 1}"'


@dataclass(frozen=True)
class RunConfig:
    path: Path
    reference_date: dt.date | None
    sources: tuple[SourceOptions, ...]
    published: tuple[SourceOptions, ...]
    raw: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, PublishedSettings] = field(default_factory=dict)  # published source -> rounding, rates
    denominators: tuple[DenominatorOptions, ...] = ()
    measures: tuple[Measure, ...] = ()
    measures_are_defaults: bool = True  # the shipped measures: one that fits no source is skipped, not an error
    link_days: int = DEFAULT_LINK_DAYS
    geographies: tuple[str, ...] = GEOGRAPHY_LEVELS
    history: str | None = None  # a SQLAlchemy URL or a SQLite path; --history overrides it
    release: str | None = None  # the release's label in the history; --release overrides it

    @property
    def kinds(self) -> dict[str, str]:
        """Each configured source's name and kind."""
        return (
            {o.name: o.kind for o in self.sources}
            | {o.name: PUBLISHED for o in self.published}
            | {d.name: DENOMINATOR for d in self.denominators}
        )


def _date(value: Any, path: Path | None, key: str) -> dt.date | None:
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


def _severity(value: Any, path: Path | None, key: str) -> dict[str, str]:
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


def _paths(value: Any, base: Path, name: str) -> tuple[Path, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or any(not isinstance(item, str) or not item for item in items):
        raise ConfigError(f"sources.{name}.path must be a file name or a list of them")
    resolved: list[Path] = []
    for item in items:
        if item.startswith(PACKAGE_DATA):  # a table shipped with the tool, e.g. triangulate:ons_population_0_17_2012_2024.csv
            resolved.append(_shipped(item[len(PACKAGE_DATA):], name))
            continue
        candidate = Path(item) if Path(item).is_absolute() else base / item
        if any(char in item for char in "*?["):
            root = Path(candidate.anchor) if candidate.is_absolute() else base
            matches = sorted(root.glob(str(candidate.relative_to(root)) if candidate.is_absolute() else item))
            if not matches:
                raise ConfigError(f"sources.{name}.path: {item!r} matches no file")
            resolved.extend(matches)
        else:
            resolved.append(candidate)
    return tuple(resolved)


def _shipped(name: str, source: str) -> Path:
    shipped = resources.files("triangulate").joinpath("data")
    candidate = shipped.joinpath(name)
    if "/" in name or not candidate.is_file():
        tables = sorted(p.name for p in shipped.iterdir() if p.name.endswith(".csv"))
        raise ConfigError(f"sources.{source}.path: the tool ships no table {name!r}; it ships {', '.join(tables)}")
    return Path(str(candidate))


def load_config(path: str | Path) -> RunConfig:
    config_path = Path(path)
    document = load_yaml(config_path)
    if not isinstance(document, Mapping):
        raise ConfigError("config must be a YAML mapping", path=config_path)
    unknown = sorted(set(map(str, document)) - TOP_KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(TOP_KEYS))}", path=config_path)
    release = _release_label(document.get("release"), config_path)  # first: a label of a megabyte fails fast
    try:
        check_shape(document)
    except ConfigError as error:
        raise ConfigError(error.message, path=config_path) from None
    reference_date = _date(document.get("reference_date"), config_path, "reference_date")
    global_severity = _severity(document.get("severity"), config_path, "severity")
    sources_node = document.get("sources")
    if not isinstance(sources_node, Mapping) or not sources_node:
        raise ConfigError("sources: give at least one source", path=config_path)
    sources: list[SourceOptions] = []
    published: list[SourceOptions] = []
    settings: dict[str, PublishedSettings] = {}
    denominators: list[DenominatorOptions] = []
    try:
        for name, node in sources_node.items():
            name = str(name)
            kind = _kind(name, node)
            options = _source(name, kind, node, config_path.parent, reference_date, global_severity)
            if kind == DENOMINATOR:
                denominators.append(_denominator(options, node))
            elif kind == PUBLISHED:
                published.append(options)
                settings[name] = _published_settings(name, node)
            else:
                sources.append(options)
        declared = {str(name): node["same_file_as"] for name, node in sources_node.items() if "same_file_as" in node}
        check_distinct_files(sources, declared)  # the same deaths under two names: refused unless declared
    except ConfigError as error:
        raise ConfigError(error.message, path=config_path, where=error.where) from None
    config = RunConfig(config_path, reference_date, tuple(sources), tuple(published), dict(document), settings, tuple(denominators))
    try:
        measures = measures_for(document.get("measures", "default"), config.kinds)
        link_days = _link_days(document.get("linkage"))
        geographies = _geographies(document.get("geographies", list(GEOGRAPHY_LEVELS)))
    except ConfigError as error:
        raise ConfigError(error.message, path=config_path) from None
    return replace(
        config,
        measures=measures,
        measures_are_defaults=document.get("measures", "default") in (None, "default"),
        link_days=link_days,
        geographies=geographies,
        history=_history_url(document.get("history"), config_path),
        release=release,
    )


def _release_label(value: Any, path: Path) -> str | None:
    """The run config's `release:` as text: one short printable line (domain/inputs.py `label_problem`, which
    `--release` obeys too), else ConfigError. It names the run in the history and in what is shown of it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problem: str | None = f"{value!r:.60} is not text"
    else:
        problem = label_problem(str(value))
    if problem is not None:
        raise ConfigError(f"release: {problem}", path=path)
    return str(value)


def _history_url(value: Any, config_path: Path) -> str | None:
    """A bare SQLite path is relative to the config's folder, like every other path in it."""
    if value is None:
        return None
    text = str(value)
    if "://" in text:
        return text
    return str(Path(text) if Path(text).is_absolute() else config_path.parent / text)


def _kind(name: str, node: Any) -> str:
    if not isinstance(node, Mapping):
        raise ConfigError(f"sources.{name} must be a mapping with kind and path")
    kind = node.get("kind")
    if kind not in config_kinds():
        raise ConfigError(f"sources.{name}.kind must be one of {', '.join(config_kinds())}, not {kind!r}")
    allowed = PUBLISHED_KEYS if kind == PUBLISHED else DENOMINATOR_KEYS if kind == DENOMINATOR else RECORD_KEYS
    unknown = sorted(set(map(str, node)) - allowed)
    if unknown:
        raise ConfigError(f"sources.{name}: unknown key {unknown[0]!r} for kind {kind}; expected {', '.join(sorted(allowed))}")
    if "path" not in node:
        raise ConfigError(f"sources.{name}: path is required")
    return str(kind)


def _source(name: str, kind: str, node: Mapping[str, Any], base: Path, reference_date: dt.date | None,
            global_severity: Mapping[str, str]) -> SourceOptions:  # fmt: skip
    columns = node.get("columns") or {}
    if not isinstance(columns, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
        raise ConfigError(f"sources.{name}.columns must map their column names to ours")
    la_code = node.get("la_code")
    if la_code is not None and (not isinstance(la_code, str | int) or isinstance(la_code, bool) or not is_known_la(str(la_code))):
        raise ConfigError(f"sources.{name}.la_code {la_code!r} is not an LA code on the shipped list (3-digit DfE or ONS code)")
    values = node.get("values") or {}
    if not isinstance(values, Mapping) or not all(
        isinstance(column, str) and isinstance(codes, Mapping) and all(isinstance(k, str | int) and isinstance(v, str | int)
                                                                       for k, v in codes.items())
        for column, codes in values.items()
    ):  # fmt: skip
        raise ConfigError(f"sources.{name}.values must map a column to {{their code: our code}}, e.g. {{sex: {{Male: M}}}}")
    return SourceOptions(
        name=name,
        kind=kind,
        paths=_paths(node["path"], base, name),
        columns=dict(columns),
        values={column: {str(k): str(v) for k, v in codes.items()} for column, codes in values.items()},
        la_code=str(la_code) if la_code else None,
        reference_date=_date(node.get("reference_date"), None, f"sources.{name}.reference_date") or reference_date,
        severity={**global_severity, **_severity(node.get("severity"), None, f"sources.{name}.severity")},
        coverage=_coverage(node.get("coverage"), name),
    )


def _coverage(value: Any, name: str) -> tuple[tuple[dt.date, dt.date], ...]:
    """`coverage: {from: 2022-04-01, to: 2023-03-31}`: the dates a return can have deaths for (one collection year)."""
    if value is None:
        return ()
    key = f"sources.{name}.coverage"
    if not isinstance(value, Mapping) or set(map(str, value)) != {"from", "to"}:
        raise ConfigError(f"{key} must be {{from: YYYY-MM-DD, to: YYYY-MM-DD}}, the first and last day the source covers")
    start, end = _date(value["from"], None, f"{key}.from"), _date(value["to"], None, f"{key}.to")
    if start is None or end is None or start > end:
        raise ConfigError(f"{key}: from ({start}) must be a date on or before to ({end})")
    return ((start, end),)


def _published_settings(name: str, node: Mapping[str, Any]) -> PublishedSettings:
    """Rounding is declared, never assumed: DfE rounds national and regional counts, the NCMD and CSPRP do not."""
    if "rounding" not in node:
        raise ConfigError(f"sources.{name}: a published source must declare its rounding: {ROUNDING_FORMS}")
    return PublishedSettings(
        rounding_bases(node["rounding"], f"sources.{name}.rounding"), _rates(name, node.get("rates")), _symbols(name, node.get("symbols"))
    )


def _symbols(name: str, node: Any) -> dict[str, tuple[int, int]]:
    """`symbols: {c: [1, 5]}`: what the publisher says each symbol hides, as inclusive counts [low, high]."""
    where = f"sources.{name}.symbols"
    if node is None:
        return {}
    if not isinstance(node, Mapping) or not node:
        raise ConfigError(f"{where} must map each symbol to the counts it may hide, e.g. {{c: [1, 5]}}")
    symbols: dict[str, tuple[int, int]] = {}
    for symbol, bounds in node.items():
        text = symbol.strip().lower() if isinstance(symbol, str) else ""
        if not text or any(ch.isdigit() for ch in text):
            raise ConfigError(f"{where}: {symbol!r} is not a symbol; a symbol is text such as c, with no digits")
        if text in symbols:
            raise ConfigError(f"{where}: {symbol!r} is declared twice (symbols are read whatever their case)")
        if not isinstance(bounds, list) or len(bounds) != 2 or not all(_whole(b) and b >= 0 for b in bounds):
            raise ConfigError(f"{where}.{symbol}: give [low, high], two whole numbers of at least 0, not {bounds!r}")
        if bounds[0] > bounds[1]:
            raise ConfigError(f"{where}.{symbol}: low ({bounds[0]}) must not be above high ({bounds[1]})")
        symbols[text] = (int(bounds[0]), int(bounds[1]))
    return symbols


def rounding_bases(levels: Any, where: str) -> dict[str, int]:
    """The one reading of a declared rounding (published sources and `revisions`): `none`, or a base per level."""
    if levels == "none":
        return {}
    if not isinstance(levels, Mapping) or not levels:
        raise ConfigError(f"{where} must be {ROUNDING_FORMS}")
    rounding = {}
    for level, base in levels.items():
        level_name = str(level).strip().lower()
        if level_name not in PUBLISHED_LEVELS:
            raise ConfigError(f"{where}: {level!r} is not a geographic level ({', '.join(PUBLISHED_LEVELS)})")
        if not _whole(base) or base < 1:
            raise ConfigError(f"{where}.{level}: the base must be a whole number of at least 1, not {base!r}")
        rounding[level_name] = int(base)
    return rounding


def _rates(name: str, node: Any) -> tuple[RateSpec, ...]:
    if node is None:
        return ()
    if not isinstance(node, list):
        raise ConfigError(f"sources.{name}.rates must be a list of {{rate, count, denominator, per}}")
    rates = []
    for position, item in enumerate(node, start=1):
        where = f"sources.{name}.rates[{position}]"
        if not isinstance(item, Mapping) or set(map(str, item)) != RATE_KEYS:
            raise ConfigError(f"{where} takes exactly rate, count, denominator and per")
        if not all(isinstance(item[key], str) and item[key] for key in ("rate", "count", "denominator")):
            raise ConfigError(f"{where}: rate, count and denominator name columns")
        if not _number(item["per"]) or item["per"] <= 0:
            raise ConfigError(f"{where}.per must be a positive number, such as 10000")
        rates.append(RateSpec(item["rate"], item["count"], item["denominator"], float(item["per"])))
    return tuple(rates)


def _denominator(options: SourceOptions, node: Mapping[str, Any]) -> DenominatorOptions:
    value = node.get("value")
    if not isinstance(value, str) or not value:
        raise ConfigError(f"sources.{options.name}: a denominator names its population column with value:")
    filters = node.get("filter") or {}
    if not isinstance(filters, Mapping) or not all(isinstance(v, str | int) for v in filters.values()):
        raise ConfigError(f"sources.{options.name}.filter must map columns to values")
    mid_year = node.get("mid_year")
    if mid_year is not None and not isinstance(mid_year, bool):
        raise ConfigError(f"sources.{options.name}.mid_year must be true or false")
    if mid_year is None and _shipped_only(node.get("path")):
        mid_year = True  # the shipped ONS table holds mid-year estimates (`time_period` Y: 30 June Y)
    return DenominatorOptions(options.name, options.paths, options.columns, value, {str(k): str(v) for k, v in filters.items()},
                              mid_year)  # fmt: skip


def _shipped_only(path: Any) -> bool:
    items = path if isinstance(path, list) else [path]
    return bool(items) and all(isinstance(item, str) and item.startswith(PACKAGE_DATA) for item in items)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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


