"""The YAML run config: parsed with yaml.safe_load and validated key by key.

Unknown keys are errors that name the key, so a typo never silently changes a release gate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalogue import SEVERITIES, SOURCE_KINDS, is_known_check
from .dates import parse_one
from .errors import ConfigError
from .validate import SourceOptions

SOURCE_KEYS = {"kind", "path", "columns", "la_code", "severity", "reference_date", "rounding"}
TOP_KEYS = {"reference_date", "sources", "measures", "severity", "linkage", "geographies"}
PUBLISHED = "published"


@dataclass(frozen=True)
class RunConfig:
    path: Path
    reference_date: dt.date | None
    sources: tuple[SourceOptions, ...]
    published: tuple[SourceOptions, ...]
    raw: Mapping[str, Any] = field(default_factory=dict)
    rounding: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # published source -> level -> base


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
        if kind not in (*SOURCE_KINDS, PUBLISHED):
            raise ConfigError(
                f"sources.{name}.kind must be one of {', '.join((*SOURCE_KINDS, PUBLISHED))}, not {kind!r}", path=config_path
            )
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
    return RunConfig(config_path, reference_date, tuple(sources), tuple(published), dict(document), rounding)
