"""The whole job: check every source in a run config, reconcile them, and render every output."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import RunConfig
from .errors import ConfigError
from .model import SourceResult
from .reconcile.model import ReconcileResult
from .validate import CheckedSource, check_source


@dataclass(frozen=True)
class ReleaseRun:
    config: RunConfig
    sources: tuple[CheckedSource, ...]
    reconciliation: ReconcileResult
    started: dt.datetime

    @property
    def results(self) -> list[SourceResult]:
        return [s.result for s in self.sources]

    @property
    def checks_passed(self) -> bool:
        return not any(r.blocks_release for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        from . import __version__

        return {
            "tool": {"name": "triangulate", "version": __version__},
            "run_at": self.started.isoformat(timespec="seconds"),
            "config": str(self.config.path),
            "reference_date": self.config.reference_date.isoformat() if self.config.reference_date else None,
            "passed": self.checks_passed and self.reconciliation.passed,
            "sources": [r.to_dict() for r in self.results],
            **self.reconciliation.to_dict(),
        }


def _measures(config: RunConfig):
    from .reconcile.measures import default_measures, parse_measures

    node = config.raw.get("measures", "default")
    if node in (None, "default"):
        return default_measures()
    try:
        return parse_measures(node, str(config.path))
    except ConfigError as error:
        raise ConfigError(error.message, path=config.path) from None


def _link_days(config: RunConfig) -> int:
    linkage = config.raw.get("linkage") or {}
    if not isinstance(linkage, dict) or set(linkage) - {"death_date_days"}:
        raise ConfigError("linkage takes death_date_days", path=config.path)
    days = linkage.get("death_date_days", 7)
    if not isinstance(days, int) or days < 0:
        raise ConfigError("linkage.death_date_days must be a whole number of days", path=config.path)
    return days


def _geographies(config: RunConfig) -> tuple[str, ...]:
    from .reconcile.engine import GEOGRAPHY_LEVELS

    node = config.raw.get("geographies", list(GEOGRAPHY_LEVELS))
    if not isinstance(node, list) or not set(node) <= set(GEOGRAPHY_LEVELS) or "england" not in node:
        raise ConfigError(f"geographies must be a list from {', '.join(GEOGRAPHY_LEVELS)}, including england", path=config.path)
    return tuple(node)


def run_release(config: RunConfig) -> ReleaseRun:
    from .readers.published import read_published
    from .reconcile.engine import PublishedSource, reconcile

    started = dt.datetime.now(dt.UTC)
    measures = _measures(config)
    days = _link_days(config)
    geographies = _geographies(config)
    checked = tuple(check_source(options) for options in config.sources)
    published = {
        options.name: PublishedSource(
            options.name, read_published(options.paths, options.columns), config.rounding.get(options.name, {})
        )
        for options in config.published
    }
    result = reconcile(
        {c.result.name: c for c in checked},
        published,
        measures,
        link_days=days,
        geographies=geographies,
        reference_date=config.reference_date,
    )
    return ReleaseRun(config, checked, result, started)


def write_outputs(run: ReleaseRun, targets: dict[str, Path | None]) -> list[Path]:
    """Render everything first, then write each file atomically: nothing half-written."""
    from .reports.json_report import dumps
    from .reports.junit import render_junit
    from .reports.markdown import render_markdown

    rendered: dict[str, str] = {
        "json": dumps(run.to_dict()),
        "junit": render_junit(run.results, run.reconciliation),
        "summary_md": render_markdown(run.results, run.reconciliation),
    }
    from .atomic import write_text_atomic

    return [write_text_atomic(path, rendered[key]) for key, path in targets.items() if path is not None]
