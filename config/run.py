"""The run config's sources and top-level keys; `load_config` validates the whole config.

Its shape (every key, type and bound; an unknown key is an error naming it, so a typo never silently changes a
release gate) is `schema.json`'s alone. What is checked here is what a schema cannot say: kinds and check ids in
their registries, LA codes on the shipped list, real dates, files, unique source ids and how measures name sources.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..canonical.published import DenominatorOptions, PublishedSettings, RateSpec
from ..canonical.registry import DATABASE_KINDS, DENOMINATOR, PUBLISHED, SourceOptions, config_kinds, source_kind
from ..domain.catalogue import is_known_check
from ..domain.dates import parse_one
from ..domain.geography import GEOGRAPHY_LEVELS, PUBLISHED_LEVELS, is_known_la
from ..domain.inputs import label_problem
from ..errors import ConfigError
from ..readers.database import DatabaseSource, database_source
from ..readers.parquet import folder_files
from ..reconcile.measures import Measure
from .loader import load_yaml
from .measures import measures_for
from .schema import check_shape, plain
from .selection import check_distinct_files

PACKAGE_DATA = "triangulate:"
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
    acknowledgements: Path | None = None  # the acknowledgements file (relative to the config); --acknowledgements overrides it
    # Every source's name in the config -> its `id:` (default: the name), what everything remembered keys on.
    source_ids: Mapping[str, str] = field(default_factory=dict)

    @property
    def kinds(self) -> dict[str, str]:
        """Each configured source's name and kind."""
        return (
            {o.name: o.kind for o in self.sources}
            | {o.name: PUBLISHED for o in self.published}
            | {d.name: DENOMINATOR for d in self.denominators}
        )


def _date(value: Any, key: str) -> dt.date | None:
    """A date the schema let through (YYYY-MM-DD or DD/MM/YYYY) that must also be a real one."""
    if value is None:
        return None
    parsed = parse_one(str(value))
    if parsed is None:
        raise ConfigError(f"{key}: {value!r} is not a YYYY-MM-DD date")
    return pd_date(parsed)


def pd_date(value: Any) -> dt.date:
    import pandas as pd

    return pd.Timestamp(value).date()


def _severity(value: Any, key: str) -> dict[str, str]:
    """Check ids (or families, `missing.*`) the catalogue knows, each at error or warning (the schema's levels)."""
    for check_id in value or {}:
        if not str(check_id).endswith(".*") and not is_known_check(str(check_id)):
            raise ConfigError(f"{key}: unknown check id {str(check_id)!r}")
    return {str(check_id): level for check_id, level in (value or {}).items()}


def _paths(value: Any, base: Path, name: str) -> tuple[Path, ...]:
    resolved: list[Path] = []
    for item in value if isinstance(value, list) else [value]:
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
            resolved.extend(folder_files(candidate) if candidate.is_dir() else [candidate])  # a folder: its Parquet files
    return tuple(resolved)


def _without_passwords(written: dict[str, Any], sources: Sequence[SourceOptions]) -> dict[str, Any]:
    """The config as written, with each database source's `url:` text as it is shown (no password, no query string):
    the report echoes the config (an `{env: NAME}` url holds none to hide)."""
    shown = {s.name: s.database.shown for s in sources if s.database is not None}
    given = written.get("sources")
    if not shown or not isinstance(given, Mapping):
        return written
    sources_written = {name: ({**node, "url": shown[str(name)]} if str(name) in shown and isinstance(node, Mapping)
                              and isinstance(node.get("url"), str) else node)
                       for name, node in given.items()}  # fmt: skip
    return {**written, "sources": sources_written}


def _shipped(name: str, source: str) -> Path:
    shipped = resources.files("triangulate").joinpath("data")
    candidate = shipped.joinpath(name)
    if "/" in name or not candidate.is_file():
        tables = sorted(p.name for p in shipped.iterdir() if p.name.endswith(".csv"))
        raise ConfigError(f"sources.{source}.path: the tool ships no table {name!r}; it ships {', '.join(tables)}")
    return Path(str(candidate))


def load_config(path: str | Path) -> RunConfig:
    config_path = Path(path)
    written = load_yaml(config_path)
    document = plain(written)  # read as the schema sees it, so what it passed is what is read
    try:
        # The label first: a label of a megabyte fails fast. A document that is no mapping is check_shape's to refuse.
        release = _release_label(document.get("release")) if isinstance(document, Mapping) else None
        check_shape(document)
        config = _sources(document, config_path)
        measures = measures_for(document.get("measures", "default"), config.kinds)
    except ConfigError as error:
        raise ConfigError(error.message, path=config_path, where=error.where) from None
    linkage = document.get("linkage") or {}
    return replace(
        config,
        raw=_without_passwords(dict(written), config.sources),  # the YAML as written, for the provenance
        measures=measures,
        measures_are_defaults=document.get("measures", "default") in (None, "default"),
        link_days=int(linkage.get("death_date_days", DEFAULT_LINK_DAYS)),
        geographies=tuple(document.get("geographies", GEOGRAPHY_LEVELS)),
        history=_history_url(document.get("history"), config_path),
        release=release,
        acknowledgements=_relative(document.get("acknowledgements"), config_path),
    )


def _sources(document: Mapping[str, Any], config_path: Path) -> RunConfig:
    """Every source, of each sort, with its id; a document the schema has accepted."""
    reference_date = _date(document.get("reference_date"), "reference_date")
    global_severity = _severity(document.get("severity"), "severity")
    sources: list[SourceOptions] = []
    published: list[SourceOptions] = []
    settings: dict[str, PublishedSettings] = {}
    denominators: list[DenominatorOptions] = []
    nodes = {str(name): node for name, node in document["sources"].items()}
    ids = _source_ids(nodes)
    for name, node in nodes.items():
        kind = node["kind"]
        if kind not in config_kinds():
            raise ConfigError(f"sources.{name}.kind must be one of {', '.join(config_kinds())}, not {kind!r}")
        options = _source(name, node, config_path.parent, reference_date, global_severity)
        if kind == DENOMINATOR:
            denominators.append(_denominator(options, node))
        elif kind == PUBLISHED:
            published.append(options)
            # Rounding is declared, never assumed (the schema requires it): DfE rounds national and regional counts.
            settings[name] = PublishedSettings(rounding_bases(node["rounding"], f"sources.{name}.rounding"),
                                               _rates(node.get("rates")), _symbols(name, node.get("symbols")))  # fmt: skip
        else:
            sources.append(options)
    declared = {name: node["same_file_as"] for name, node in nodes.items() if "same_file_as" in node}
    check_distinct_files(sources, declared)  # the same deaths under two names: refused unless declared
    return RunConfig(config_path, reference_date, tuple(sources), tuple(published), settings=settings,
                     denominators=tuple(denominators), source_ids=ids)  # fmt: skip


def _source_ids(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Each source's `id:`, else its name: two sources with one id would share one history, so it is refused."""
    ids: dict[str, str] = {}
    for name, node in nodes.items():
        source_id = str(node.get("id", name))
        other = next((first for first, taken in ids.items() if taken == source_id), None)
        if other is not None:
            raise ConfigError(f"sources.{name}: id {source_id!r} is also the id of sources.{other}; each source needs an id of its own")
        ids[name] = source_id
    return ids


def _release_label(value: Any) -> str | None:
    """The run config's `release:` as text: one short printable line (domain/inputs.py `label_problem`, which
    `--release` obeys too), else ConfigError. It names the run in the history and in what is shown of it."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problem: str | None = f"{value!r:.60} is not text"
    else:
        problem = label_problem(str(value))
    if problem is not None:
        raise ConfigError(f"release: {problem}")
    return str(value)


def _history_url(value: Any, config_path: Path) -> str | None:
    """A bare SQLite path is relative to the config's folder, like every other path in it."""
    if value is None:
        return None
    text = str(value)
    if "://" in text:
        return text
    return str(Path(text) if Path(text).is_absolute() else config_path.parent / text)


def _relative(value: Any, config_path: Path) -> Path | None:
    """A path in the config: relative to the config's folder."""
    if value is None:
        return None
    return Path(str(value)) if Path(str(value)).is_absolute() else config_path.parent / str(value)


def _source(name: str, node: Mapping[str, Any], base: Path, reference_date: dt.date | None,
            global_severity: Mapping[str, str]) -> SourceOptions:  # fmt: skip
    la_code = node.get("la_code")
    if la_code is not None and not is_known_la(str(la_code)):
        raise ConfigError(f"sources.{name}.la_code {la_code!r} is not an LA code on the shipped list (3-digit DfE or ONS code)")
    database = _database(name, node, base)
    return SourceOptions(
        name=name,
        kind=str(node["kind"]),
        paths=_paths(node["path"], base, name) if database is None else (),
        columns=dict(node.get("columns") or {}),
        values={column: {str(k): str(v) for k, v in codes.items()} for column, codes in (node.get("values") or {}).items()},
        la_code=str(la_code) if la_code is not None else None,
        reference_date=_date(node.get("reference_date"), f"sources.{name}.reference_date") or reference_date,
        severity={**global_severity, **_severity(node.get("severity"), f"sources.{name}.severity")},
        coverage=_coverage(node.get("coverage"), name),
        source_id=str(node.get("id", "")),  # empty: its name (SourceResult.id), as for `check --source`
        database=database,
    )


def _database(name: str, node: Mapping[str, Any], base: Path | None = None) -> DatabaseSource | None:
    """A source read from a database: `url:` with `table:` or `query:` (one, or one for each of the kind's tables),
    in place of `path:` (readers/database.py); None for a source of files. The URL is never quoted. A DuckDB or
    SQLite file's relative path is from `base`, the config's folder."""
    if "url" not in node:
        return None
    where, kind = f"sources.{name}", str(node["kind"])
    if "path" in node:
        raise ConfigError(f"{where}: give path (files) or url (a database), not both")
    given = [key for key in ("table", "query") if key in node]
    if not given:
        raise ConfigError(f"{where}: a url source says what to read, with table: or query:")
    if len(given) > 1:
        raise ConfigError(f"{where}: give table or query, not both")
    if kind not in DATABASE_KINDS:
        raise ConfigError(f"{where}: kind {kind} is read from files (path:), not from a database")
    key = given[0]
    names = [table.name for table in source_kind(kind).tables]
    value = node[key]
    form = "{" + ", ".join(f"{table}: {'NAME' if key == 'table' else 'SQL'}" for table in names) + "}"
    if isinstance(value, str) and len(names) == 1:
        named = {names[0]: value}
    elif isinstance(value, Mapping) and sorted(value) == sorted(names):
        named = {table: str(value[table]) for table in names}
    else:
        raise ConfigError(f"{where}.{key}: for kind {kind}, give {key} as {form if len(names) > 1 else 'text, or ' + form}")
    return database_source(node["url"], f"{where}.url", named if key == "table" else {}, named if key == "query" else {}, base=base)


def _coverage(value: Any, name: str) -> tuple[tuple[dt.date, dt.date], ...]:
    """`coverage: {from: 2022-04-01, to: 2023-03-31}`: the dates a return can have deaths for (one collection year)."""
    if value is None:
        return ()
    key = f"sources.{name}.coverage"
    start, end = _date(value["from"], f"{key}.from"), _date(value["to"], f"{key}.to")
    if start is None or end is None or start > end:
        raise ConfigError(f"{key}: from ({start}) must be a date on or before to ({end})")
    return ((start, end),)


def _symbols(name: str, node: Any) -> dict[str, tuple[int, int]]:
    """`symbols: {c: [1, 5]}`: what the publisher says each symbol hides, as inclusive counts [low, high]."""
    where = f"sources.{name}.symbols"
    symbols: dict[str, tuple[int, int]] = {}
    for symbol, (low, high) in (node or {}).items():
        text = symbol.strip().lower()  # a key is text (schema.plain): YAML's 5 is '5'
        if not text or any(ch.isdigit() for ch in text):  # a number in a cell is a figure, never a symbol
            raise ConfigError(f"{where}: {symbol!r} is not a symbol; a symbol is text such as c, with no digits")
        if text in symbols:
            raise ConfigError(f"{where}: {symbol!r} is declared twice (symbols are read whatever their case)")
        if low > high:
            raise ConfigError(f"{where}.{symbol}: low ({low}) must not be above high ({high})")
        symbols[text] = (low, high)
    return symbols


def rounding_bases(levels: Any, where: str) -> dict[str, int]:
    """The one reading of a declared rounding (published sources and `revisions`): `none`, or a base per level.

    The `revisions` config has no schema, so its shape is checked here too."""
    if levels == "none":
        return {}
    if not isinstance(levels, Mapping) or not levels:
        raise ConfigError(f"{where} must be {ROUNDING_FORMS}")
    rounding = {}
    for level, base in levels.items():
        level_name = str(level).strip().lower()
        if level_name not in PUBLISHED_LEVELS:
            raise ConfigError(f"{where}: {level!r} is not a geographic level ({', '.join(PUBLISHED_LEVELS)})")
        if isinstance(base, bool) or not isinstance(base, int) or base < 1:
            raise ConfigError(f"{where}.{level}: the base must be a whole number of at least 1, not {base!r}")
        rounding[level_name] = base
    return rounding


def _rates(node: Any) -> tuple[RateSpec, ...]:
    return tuple(RateSpec(item["rate"], item["count"], item["denominator"], float(item["per"])) for item in node or ())


def _denominator(options: SourceOptions, node: Mapping[str, Any]) -> DenominatorOptions:
    mid_year = node.get("mid_year")
    if mid_year is None and _shipped_only(node["path"]):
        mid_year = True  # the shipped ONS table holds mid-year estimates (`time_period` Y: 30 June Y)
    return DenominatorOptions(options.name, options.paths, options.columns, node["value"],
                              {str(k): str(v) for k, v in (node.get("filter") or {}).items()}, mid_year)  # fmt: skip


def _shipped_only(path: Any) -> bool:
    return all(item.startswith(PACKAGE_DATA) for item in (path if isinstance(path, list) else [path]))
