"""The whole job: check every source in a run config, read the published figures, reconcile them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ..canonical.published import published_rows
from ..canonical.registry import SourceOptions
from ..config import RunConfig
from ..model.checks import InputFile, SourceResult
from ..model.release import Provenance, Release
from ..readers.files import existing_file
from ..readers.published import read_published
from ..reconcile.engine import reconcile
from ..reconcile.published import PublishedSource
from .check import check_source, input_file


def run_release(
    config: RunConfig, progress: Callable[[str], None] = lambda _: None, *, command: str = "run"
) -> Release:
    """`command` is `run` (gated on checks and comparisons) or `reconcile` (comparisons only)."""
    started = dt.datetime.now(dt.UTC)
    checked = []
    for options in config.sources:
        progress(f"checking {options.name}")
        checked.append(check_source(options))
    progress("reading published figures")
    published_files = tuple((o.name, input_file(existing_file(path))) for o in config.published for path in o.paths)
    published = {
        options.name: PublishedSource(
            options.name, published_rows(read_published(options.paths, options.columns)), config.rounding.get(options.name, {})
        )
        for options in config.published
    }
    progress("reconciling")
    result = reconcile(
        {c.result.name: c.deaths for c in checked},
        config.kinds,
        published,
        config.measures,
        link_days=config.link_days,
        geographies=config.geographies,
        reference_date=config.reference_date,
    )
    results = tuple(c.result for c in checked)
    return Release(
        command=command,
        sources=results,
        reconciliation=result,
        provenance=config_provenance(config, started, results, published_files),
        published_files=published_files,
        titles={m.id: m.title for m in config.measures},
    )


def check_release(options: SourceOptions) -> Release:
    """`triangulate check`: one source's checks, as a release gated on them alone."""
    started = dt.datetime.now(dt.UTC)
    result = check_source(options).result
    provenance = Provenance(
        run_at=started,
        reference_date=result.reference_date,
        config_name="(none: triangulate check)",
        config_text=f"source: {result.kind}",
        files=tuple((result.name, f) for f in result.files),
        versions=library_versions(),
    )
    return Release(command="check", sources=(result,), reconciliation=None, provenance=provenance)


def library_versions() -> tuple[tuple[str, str], ...]:
    import platform
    from importlib import metadata

    from .. import __version__

    versions = [("triangulate", __version__), ("Python", platform.python_version())]
    for package in ("pandas", "pandera", "great-expectations", "jinja2", "matplotlib", "lxml", "pyyaml", "click"):
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, "not installed"))
    return tuple(versions)


def config_provenance(
    config: RunConfig,
    started: dt.datetime,
    results: tuple[SourceResult, ...],
    published_files: tuple[tuple[str, InputFile], ...],
) -> Provenance:
    import yaml

    files = [(s.name, f) for s in results for f in s.files] + list(published_files)
    return Provenance(
        run_at=started,
        reference_date=config.reference_date,
        config_name=Path(config.path).name,
        config_text=yaml.safe_dump(dict(config.raw), sort_keys=False, default_flow_style=None),
        files=tuple(files),
        versions=library_versions(),
        config_path=str(config.path),
    )
