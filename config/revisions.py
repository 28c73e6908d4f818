"""The `revisions` config: how two vintages of one EES table line up, and how they are rounded.

```yaml
rounding: {national: 10, regional: 10, local authority: 1}   # or none (the default: compared as written)
columns: {number: children_count, Anypoint_episodes_rate: null}   # old name: new name (null: dropped on purpose)
values: {population_type: {"Children looked after at 31 March each year": "Children looked after on 31 March each year"}}
keys: [time_period, time_identifier, geographic_level, new_la_code, population_type]   # optional: detected otherwise
indicators: [children_count, rate_per_10000]                                          # optional: detected otherwise
tolerance: {abs: 0, rel: 0}                    # for every indicator; or per indicator and/or kind of column:
# tolerance: {counts: {abs: 0}, rates: {abs: 0.5}, denominators: {rel: 0.01}, children_count: {abs: 10}}
```

An indicator's own tolerance entry wins over its kind's (domain/columns.py CONFIG_NAMES); an indicator named by
neither is compared exactly. The flat and the keyed forms do not mix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..domain.columns import CONFIG_NAMES
from ..errors import ConfigError
from .loader import load_yaml
from .measures import tolerance_of
from .run import rounding_bases

KEYS = {"rounding", "columns", "values", "keys", "indicators", "tolerance"}


@dataclass(frozen=True)
class RevisionsConfig:
    rounding: Mapping[str, int] = field(default_factory=dict)
    columns: Mapping[str, str | None] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    keys: tuple[str, ...] | None = None
    indicators: tuple[str, ...] | None = None
    # {abs, rel} for all, or {indicator or counts/rates/denominators: {abs, rel}} (reconcile/revisions.py tolerances)
    tolerance: Mapping[str, Any] = field(default_factory=lambda: {"abs": 0.0, "rel": 0.0})
    path: Path | None = None  # the config file, to name in an error found once the vintages are read


def load_revisions_config(path: Path | None) -> RevisionsConfig:
    if path is None:
        return RevisionsConfig()
    document = load_yaml(Path(path))
    try:
        parsed = _parse(document if document is not None else {})
    except ConfigError as error:
        raise ConfigError(error.message, path=path) from None
    return replace(parsed, path=Path(path))


def _parse(document: Any) -> RevisionsConfig:
    if not isinstance(document, Mapping):
        raise ConfigError("a revisions config is a mapping")
    unknown = sorted(set(map(str, document)) - KEYS)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(KEYS))}")
    return RevisionsConfig(
        rounding=rounding_bases(document.get("rounding", "none") or "none", "rounding"),
        columns=_columns(document.get("columns") or {}),
        values=_values(document.get("values") or {}),
        keys=_names(document.get("keys"), "keys"),
        indicators=_names(document.get("indicators"), "indicators"),
        tolerance=_tolerance(document.get("tolerance")),
    )


def _tolerance(node: Any) -> dict[str, Any]:
    """`{abs, rel}` for all, or a mapping of indicator names and kinds of column to `{abs, rel}`: never both."""
    if node is None:
        return {"abs": 0.0, "rel": 0.0}
    if not isinstance(node, Mapping) or not any(isinstance(entry, Mapping) for entry in node.values()):
        return tolerance_of(node, "tolerance")  # the flat form: an unknown key in it is named there
    flat = [str(key) for key in node if str(key) in ("abs", "rel")]
    if flat:
        raise ConfigError(f"tolerance: {flat[0]!r} beside entries per indicator or kind; give either abs and rel for all, "
                          f"or an {{abs, rel}} per indicator or kind ({', '.join(CONFIG_NAMES)}), not both")  # fmt: skip
    return {str(name): tolerance_of(entry, f"tolerance.{name}") for name, entry in node.items()}


def check_tolerance_names(config: RevisionsConfig, indicators: tuple[str, ...]) -> None:
    """Once the vintages are read: a keyed tolerance's name must be an indicator compared or a kind of column."""
    if any(key in config.tolerance for key in ("abs", "rel")):
        return  # the flat form (or --tolerance-abs/--tolerance-rel): for all
    unknown = [name for name in config.tolerance if name not in indicators and name not in CONFIG_NAMES]
    if unknown:
        raise ConfigError(
            f"tolerance: {unknown[0]!r} is neither an indicator compared ({', '.join(indicators) or 'none'}) "
            f"nor a kind of column ({', '.join(CONFIG_NAMES)})",
            path=config.path,
        )


def _columns(node: Any) -> dict[str, str | None]:
    if not isinstance(node, Mapping) or not all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in node.items()):
        raise ConfigError("columns must map an old column's name to its new name, or to null when it was dropped")
    return dict(node)


def _values(node: Any) -> dict[str, dict[str, str]]:
    if not isinstance(node, Mapping) or not all(
        isinstance(c, str) and isinstance(m, Mapping) and all(isinstance(k, str | int) and isinstance(v, str | int) for k, v in m.items())
        for c, m in node.items()
    ):  # fmt: skip
        raise ConfigError("values must map a column to {old value: new value}")
    return {c: {str(k): str(v) for k, v in m.items()} for c, m in node.items()}


def _names(node: Any, key: str) -> tuple[str, ...] | None:
    if node is None:
        return None
    if not isinstance(node, list) or not node or not all(isinstance(n, str) and n for n in node):
        raise ConfigError(f"{key} must be a non-empty list of column names")
    return tuple(node)
