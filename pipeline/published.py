"""Check one published table: read -> canonical published rows -> cell, rounding, rate and coherence checks.

Its result has the same shape as a record-level source's (`checks: [{id, severity, status, failed,
locations}]`); what fails counts published cells, and every gate counts it (`SourceResult.published`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..canonical.published import PublishedSettings, old_code_alone, published_rows
from ..canonical.registry import SourceOptions
from ..domain.catalogue import severity_for, spec_for
from ..domain.cells import in_words, tally
from ..expectations.published import INVALID_OLD_CODE, PUBLISHED_CHECKS, CellFinding, TableCheck, check_table, rates_not_run
from ..model.checks import CheckOutcome, SourceResult
from ..model.reconciliation import CoherenceCheck
from ..readers.files import existing_file
from ..readers.published import read_published
from ..reconcile.measures import Measure, selected_sources
from ..reconcile.published import PublishedSource, coherence, filtered, selection_problem
from .check import read_with_files

INCOHERENT = "published.incoherent"


@dataclass(frozen=True)
class CheckedPublished:
    result: SourceResult
    source: PublishedSource
    coherence: tuple[CoherenceCheck, ...]


def check_published_source(
    options: SourceOptions, settings: PublishedSettings, measures: Sequence[Measure], kinds: Mapping[str, str]
) -> CheckedPublished:
    for path in options.paths:
        existing_file(path)
    raw, files = read_with_files(lambda: read_published(options.paths, options.columns), options.paths)
    rows = published_rows(raw)
    source = PublishedSource(options.name, rows, settings)
    mine = [
        (measure, selector)
        for measure in measures
        for name, selector in selected_sources(measure, kinds).items()
        if name == options.name
    ]
    selections = [(m, selector) for m, selector in mine if selection_problem(source, selector.filter, selector.value) is None]
    counted = [(rows.index.isin(filtered(rows, selector.filter).index), selector.value) for _, selector in selections]
    filters = {column for _, selector in mine for column in selector.filter}
    table = check_table(rows, settings, [(pd.Series(mask, index=rows.index), column) for mask, column in counted], filters)
    findings = table.findings
    sums = tuple(
        c
        for measure, selector in selections
        for c in coherence(options.name, measure.id, source, selector.filter, selector.value)
    )
    findings += [_incoherent(c) for c in sums if not c.coherent]
    # A check with nothing to check is not run, never passed; not run does not block the gate (a warning).
    not_run = {
        "published.unreadable": ""
        if table.figures
        else "no column of figures: no measure or rate names one, and none reads as numbers",
        "published.rounding": ""
        if table.counts
        else "no cell is known to be a count: no measure selects one and no rate counts one",
        "published.rate_inconsistent": rates_not_run(rows, settings),
        INCOHERENT: "" if sums else "no whole with its parts in this file",
        "published.duplicate": "" if selections else "no measure selects figures from this source",
    }
    details = {
        "published.unreadable": _read_words(table),
        "published.rounding": _rounding_words(table),
        INCOHERENT: _partial_words(sums),
    }
    # Listed where an LA row names its place by old_la_code alone: the only rows it can check.
    listed = (*PUBLISHED_CHECKS, INCOHERENT, *((INVALID_OLD_CODE,) if old_code_alone(rows).any() else ()))
    result = SourceResult(
        name=options.name,
        kind="published",
        source_id=options.source_id,
        records=len(rows),
        deaths=0,
        reference_date=options.reference_date,
        files=files,
        outcomes=tuple(
            _outcome(check_id, findings, options, not_run.get(check_id, ""), details.get(check_id, "")) for check_id in listed
        ),
        published=True,
    )
    return CheckedPublished(result, source, sums)


def _incoherent(check: CoherenceCheck) -> CellFinding:
    total, parts = check.total.to_list(), check.sum_of_parts.to_list()
    whole = f"{total[0]}" if total[0] == total[1] else f"{total[0]} to {total[1]}"
    summed = f"{parts[0]}" if parts[0] == parts[1] else f"{parts[0]} to {parts[1] if parts[1] is not None else 'unbounded'}"
    cell = (f"{check.measure}: {check.geography} {check.period_label} is {whole}, "
            f"its {check.parts_count} {check.parts} parts sum to {summed}")  # fmt: skip
    return CellFinding(INCOHERENT, check.location, cell)


def _read_words(table: TableCheck) -> str:
    """What `published.unreadable` read: every cell of each column of figures, on every row."""
    return f"read every row's {', '.join(table.figures)}" if table.figures else ""


def _rounding_words(table: TableCheck) -> str:
    if not table.counts:
        return ""
    return "checked the cells known to be counts (a measure selects them or a declared rate counts them); other figures may not be counts"


def _partial_words(sums: Sequence[CoherenceCheck]) -> str:
    """Tests that could go one way only, in words: a coherence check that passes them never says more than it tested."""
    partial = [c for c in sums if c.partial]
    if not partial:
        return ""
    first = partial[0]
    where = f"{first.measure}: {first.geography} {first.period_label} against its {tally(first.parts_count, first.parts + ' part', first.parts + ' parts')}"
    return f"partial: {in_words(len(partial))} of the {tally(len(sums), 'test', 'tests')}; e.g. {where}, {first.partial_reason}"


def _outcome(
    check_id: str, findings: Sequence[CellFinding], options: SourceOptions, not_run: str = "", detail: str = ""
) -> CheckOutcome:
    mine = [f for f in findings if f.check_id == check_id]
    return CheckOutcome(
        check_id=check_id,
        severity=severity_for(check_id, "published", options.severity),
        message=spec_for(check_id).message,
        failed=len(mine),
        record_ids=tuple(f.cell for f in mine),
        locations=tuple(f.location for f in mine),
        level="cell",
        not_run=not_run,
        detail=detail,
    )
