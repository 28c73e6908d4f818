"""The whole job: check every source in a run config, reconcile them, and render every output."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import RunConfig
from .disclosure import Disclosure
from .errors import ConfigError
from .model import InputFile, SourceResult
from .reconcile.model import ReconcileResult
from .reports.view import Provenance
from .validate import CheckedSource, check_source


@dataclass(frozen=True)
class ReleaseRun:
    config: RunConfig
    sources: tuple[CheckedSource, ...]
    reconciliation: ReconcileResult
    started: dt.datetime
    published_files: tuple[tuple[str, InputFile], ...] = ()  # source name, file; hashed when read
    checks_gate: bool = True  # False for `reconcile`, whose pass/fail is the comparisons' alone

    @property
    def passed(self) -> bool:
        return (self.checks_passed or not self.checks_gate) and self.reconciliation.passed

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
            "passed": self.passed,
            "gate": "release" if self.checks_gate else "reconcile",
            "sources": [r.to_dict() for r in self.results],
            "published_files": [{"source": name, **f.to_dict()} for name, f in self.published_files],
            **self.reconciliation.to_dict(),
        }


def _measures(config: RunConfig):
    from .reconcile.measures import default_measures, parse_measures

    node = config.raw.get("measures", "default")
    if node in (None, "default"):
        return default_measures()
    try:
        measures = parse_measures(node)
    except ConfigError as error:
        raise ConfigError(error.message, path=config.path) from None
    _check_source_names(config, measures)
    return measures


def _check_source_names(config: RunConfig, measures) -> None:  # type: ignore[no-untyped-def]
    """A measure that names no configured source or kind would compare nothing and pass: refuse it."""
    from .catalogue import SOURCE_KINDS
    from .config import PUBLISHED
    from .reconcile.measures import selected_sources, sources_named

    kinds = {o.name: o.kind for o in config.sources} | {o.name: PUBLISHED for o in config.published}
    known = set(kinds) | set(SOURCE_KINDS) | {PUBLISHED}
    for position, measure in enumerate(measures, start=1):
        where = f"measures[{position}] ({measure.id})"
        compared = [*(n for c in measure.compare for n in (c.left, c.right)), *measure.trend]
        unknown = [name for name in (*measure.select, *compared) if name not in known]
        if unknown:
            raise ConfigError(
                f"{where} names {unknown[0]!r}, which is neither a configured source nor a kind ({', '.join(sorted(known))})",
                path=config.path,
            )
        selected = set(selected_sources(measure, kinds))
        unselected = [name for name in compared if sources_named(name, kinds) and not selected & set(sources_named(name, kinds))]
        if unselected:
            raise ConfigError(f"{where} compares {unselected[0]!r} but does not select it", path=config.path)


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
    if (
        not isinstance(node, list)
        or not all(isinstance(n, str) for n in node)
        or not set(node) <= set(GEOGRAPHY_LEVELS)
        or "england" not in node
    ):
        raise ConfigError(f"geographies must be a list from {', '.join(GEOGRAPHY_LEVELS)}, including england", path=config.path)
    return tuple(node)


def run_release(config: RunConfig, progress: Callable[[str], None] = lambda _: None, *, checks_gate: bool = True) -> ReleaseRun:
    from .readers.files import existing_file, provenance
    from .readers.published import read_published
    from .reconcile.engine import PublishedSource, reconcile

    started = dt.datetime.now(dt.UTC)
    measures = _measures(config)
    days = _link_days(config)
    geographies = _geographies(config)
    checked = []
    for options in config.sources:
        progress(f"checking {options.name}")
        checked.append(check_source(options))
    progress("reading published figures")
    published_files = tuple((o.name, provenance(existing_file(path))) for o in config.published for path in o.paths)
    published = {
        options.name: PublishedSource(
            options.name, read_published(options.paths, options.columns), config.rounding.get(options.name, {})
        )
        for options in config.published
    }
    progress("reconciling")
    result = reconcile(
        {c.result.name: c for c in checked},
        published,
        measures,
        link_days=days,
        geographies=geographies,
        reference_date=config.reference_date,
    )
    return ReleaseRun(config, tuple(checked), result, started, published_files, checks_gate)


def library_versions() -> tuple[tuple[str, str], ...]:
    import platform
    from importlib import metadata

    from . import __version__

    versions = [("triangulate", __version__), ("Python", platform.python_version())]
    for package in ("pandas", "pandera", "great-expectations", "jinja2", "matplotlib", "lxml", "pyyaml", "click"):
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, "not installed"))
    return tuple(versions)


def provenance_of(run: ReleaseRun) -> Provenance:
    import yaml

    files = [(s.result.name, f) for s in run.sources for f in s.result.files] + list(run.published_files)
    return Provenance(
        run_at=run.started,
        reference_date=run.config.reference_date,
        config_name=run.config.path.name,
        config_text=yaml.safe_dump(dict(run.config.raw), sort_keys=False, default_flow_style=None),
        files=tuple(files),
        versions=library_versions(),
    )


def measure_titles(config: RunConfig) -> dict[str, str]:
    return {m.id: m.title for m in _measures(config)}


def write_outputs(run: ReleaseRun, targets: dict[str, Path | None], disclosure: Disclosure | None = None) -> list[Path]:
    """Render every output first, then write them all atomically as a set: nothing half-written."""
    from .atomic import write_all_atomic
    from .reports.json_report import dumps
    from .reports.junit import render_junit
    from .reports.markdown import render_markdown

    renderers = {
        "json": lambda: dumps(run.to_dict()),
        "junit": lambda: render_junit(run.results if run.checks_gate else [], run.reconciliation),
        "summary_md": lambda: render_markdown(run.results, run.reconciliation, run.checks_gate),
    }
    files: dict[Path, str] = {Path(path): renderers[key]() for key, path in targets.items() if path is not None and key != "html"}
    stale: list[Path] = []
    html = targets.get("html")
    if html is not None:
        from .reports.html import render_report_files, stale_side_files
        from .reports.view import build_report_view

        view = build_report_view(
            run.results,
            run.reconciliation,
            provenance_of(run),
            disclosure or Disclosure(),
            measure_titles(run.config),
            run.checks_gate,
        )
        files |= render_report_files(view, Path(html))
        stale = stale_side_files(view, Path(html))
    return write_all_atomic(files, stale)


def write_check_outputs(
    result: SourceResult, json_path: Path | None, html_path: Path | None, disclosure: Disclosure
) -> list[Path]:
    """`triangulate check`: the JSON and the per-source part of the HTML report, written as a set."""
    from .atomic import write_all_atomic
    from .reports.json_report import check_report, dumps

    files: dict[Path, str] = {}
    if json_path is not None:
        files[Path(json_path)] = dumps(check_report(result))
    if html_path is not None:
        from .reports.html import render_report_files
        from .reports.view import build_report_view

        provenance = Provenance(
            run_at=dt.datetime.now(dt.UTC),
            reference_date=result.reference_date,
            config_name="(none: triangulate check)",
            config_text=f"source: {result.kind}",
            files=tuple((result.name, f) for f in result.files),
            versions=library_versions(),
        )
        from .reports.html import stale_side_files

        view = build_report_view([result], None, provenance, disclosure, {})
        files |= render_report_files(view, Path(html_path))
        return write_all_atomic(files, stale_side_files(view, Path(html_path)))
    return write_all_atomic(files)
