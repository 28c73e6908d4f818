"""The whole job: check every source in a run config, read the published figures, reconcile them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..canonical.counted import counts_as_death
from ..canonical.published import DenominatorOptions, denominator_rows
from ..canonical.registry import PUBLISHED, SourceOptions
from ..config import RunConfig
from ..errors import UsageError
from ..expectations.worker import suite_worker
from ..model.checks import InputFile, SourceResult
from ..model.memory import Memory
from ..model.release import Expectation, MeasureNote, Provenance, Release
from ..readers.files import existing_file
from ..readers.published import read_published
from ..reconcile.engine import reconcile
from .check import read_with_files
from .parallel import check_sources
from .published import check_published_source


def run_release(
    config: RunConfig, progress: Callable[[str], None] = lambda _: None, *, command: str = "run", jobs: int = 1,
    memory: Memory | None = None,
) -> Release:
    """`command` is `run` (gated on checks and comparisons) or `reconcile` (comparisons and published tables).

    The sources are checked on `jobs` processes. Their GX suites run in the suite worker meanwhile, while this
    process checks the published figures and reconciles (which needs only the deaths); they are collected last.
    `memory`: the run history's earlier releases, which learned tolerances and series bands read."""
    started = dt.datetime.now(dt.UTC)
    with suite_worker() as suites:
        pending = check_sources(config.sources, jobs, suites, progress)
        progress("checking published figures")
        published = [
            check_published_source(options, config.settings[options.name], config.measures, config.kinds)
            for options in config.published
        ]
        denominators = {d.name: read_denominator(d) for d in config.denominators}
        progress("reconciling")
        result = reconcile(
            {p.options.name: p.deaths for p in pending},
            config.kinds,
            {p.result.name: p.source for p in published},
            config.measures,
            link_days=config.link_days,
            geographies=config.geographies,
            reference_date=config.reference_date,
            denominators={name: rows for name, (rows, _) in denominators.items()},
            strict=not config.measures_are_defaults,
            coverage={p.options.name: p.coverage for p in pending},
            las={p.options.name: places for p in pending if (places := p.places) is not None},  # a declared `la_code:`, or the files' own
            source_ids=config.source_ids,
            memory=memory,
        )
        if pending:
            progress("checking death records (Great Expectations)")
        checked = [p.result() for p in pending]
    result = replace(result, coherence=tuple(c for p in published for c in p.coherence))
    results = (*(c.result for c in checked), *(p.result for p in published))
    tables = tuple((p.result.name, f) for p in published for f in p.result.files)
    tables += tuple((name, f) for name, (_, files) in denominators.items() for f in files)
    return Release(
        command=command,
        sources=results,
        reconciliation=result,
        provenance=config_provenance(config, started, tuple(c.result for c in checked), tables),
        published_files=tables,
        measures=measure_notes(config),
        death_rules={name: counts_as_death(kind) for name, kind in config.kinds.items()},
        declared_ids=config.source_ids,
    )


def measure_notes(config: RunConfig) -> tuple[MeasureNote, ...]:
    """Each measure in words, with the configured sources it selects in config order (by name or by kind)."""
    notes = []
    for measure in config.measures:
        chosen = tuple(name for name, kind in config.kinds.items() if name in measure.select or kind in measure.select)
        expectations = tuple(Expectation(c.left, c.relation, c.right, c.reason, c.tolerances,
                                         c.learned.min_points if c.learned is not None else None) for c in measure.compare)  # fmt: skip
        notes.append(MeasureNote(measure.id, measure.title, measure.definition, chosen, expectations))
    return tuple(notes)


def read_denominator(options: DenominatorOptions) -> tuple[pd.DataFrame, tuple[InputFile, ...]]:
    for path in options.paths:
        existing_file(path)
    raw, files = read_with_files(lambda: read_published(options.paths, options.columns), options.paths)
    return denominator_rows(raw, options), files


def check_release(options: SourceOptions, config: RunConfig | None = None, *, jobs: int = 1) -> Release:
    """`triangulate check`: one source's checks, as a release gated on them alone.

    A published table needs the run config: its rounding is declared there, and its measures say which cells count.
    """
    started = dt.datetime.now(dt.UTC)
    if options.kind == PUBLISHED:
        declared = _declared_published(options, config)
        named = replace(
            options,
            name=declared.name,
            source_id=config.source_ids.get(declared.name, ""),
            severity={**declared.severity, **options.severity},
            reference_date=options.reference_date or declared.reference_date,  # --reference-date, else the config's
        )
        result = check_published_source(named, config.settings[declared.name], config.measures, config.kinds).result
    else:
        with suite_worker() as suites:
            (pending,) = check_sources([options], jobs, suites)
            result = pending.result().result
    provenance = Provenance(
        run_at=started,
        reference_date=result.reference_date,
        config_name="(none: triangulate check)" if config is None else Path(config.path).name,
        config_text=f"source: {result.kind}",
        files=tuple((result.name, f) for f in result.files),
        versions=library_versions(),
    )
    return Release(command="check", sources=(result,), reconciliation=None, provenance=provenance)


def _declared_published(options: SourceOptions, config: RunConfig | None) -> SourceOptions:
    """The run config's published source this file is: the one with the same file name, else the only one."""
    declared = config.published if config is not None else ()
    if not declared:
        raise UsageError("--source published needs --config with a published source, which declares its rounding")
    names = {Path(p).name for p in options.paths}
    same_file = [o for o in declared if names & {Path(p).name for p in o.paths}]
    if len(same_file) == 1 or len(declared) == 1:
        return (same_file or list(declared))[0]
    raise UsageError(f"--config has several published sources ({', '.join(o.name for o in declared)}); "
                     "none reads a file of this name, so which declares this file's rounding is unknown")  # fmt: skip


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
