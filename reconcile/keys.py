"""Every finding of a reconciliation given its stable key (domain/identity.py), in one place.

The measures compare sources by their names in the run config; what is remembered keys on their ids (`id:`,
default the name) and on places as ONS codes, so renaming a source with its `id:` kept, or showing a region by
its name, never changes a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..domain.geography import place_code
from ..domain.identity import SeriesKey, empty_key, missing_key
from ..domain.periods import Period
from ..model.reconciliation import Comparison, ReconcileResult


def series_key(comparison: Comparison, source_ids: Mapping[str, str]) -> SeriesKey:
    def ids(name: str) -> str:
        return source_ids.get(name, name)

    return SeriesKey(comparison.measure, place_code(comparison.geography), ids(comparison.left), ids(comparison.right))


def with_keys(result: ReconcileResult, source_ids: Mapping[str, str]) -> ReconcileResult:
    def ids(name: str) -> str:
        return source_ids.get(name, name)

    return replace(
        result,
        comparisons=tuple(replace(c, key=series_key(c, source_ids).at(Period.from_iso(c.period))) for c in result.comparisons),
        missing=tuple(
            replace(m, key=missing_key(m.measure, Period.from_iso(m.period), place_code(m.geography), ids(m.source),
                                       ids(m.absent_from), m.kind))
            for m in result.missing
        ),
        empty=tuple(replace(e, key=empty_key(e.measure, ids(e.left), ids(e.right))) for e in result.empty),
    )
