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
from ..errors import ConfigError
from ..model.reconciliation import Comparison, ReconcileResult


def series_key(comparison: Comparison, source_ids: Mapping[str, str]) -> SeriesKey:
    def ids(name: str) -> str:
        return source_ids.get(name, name)

    return SeriesKey(comparison.measure, place_code(comparison.geography), ids(comparison.left), ids(comparison.right))


def with_keys(result: ReconcileResult, source_ids: Mapping[str, str]) -> ReconcileResult:
    def ids(name: str) -> str:
        return source_ids.get(name, name)

    comparisons = tuple(replace(c, key=series_key(c, source_ids).at(Period.from_iso(c.left_period), Period.from_iso(c.right_period)))
                        for c in result.comparisons)  # fmt: skip
    seen: set[str] = set()
    for c in comparisons:
        if c.identity.text in seen:  # two compares of one pair in a measure: one key, so the history could not tell them apart
            raise ConfigError(f"measure {c.measure} compares {c.left} with {c.right} more than once (its compare: names them "
                              "by name or kind twice); compare a pair once per measure, or in a second measure")  # fmt: skip
        seen.add(c.identity.text)
    return replace(
        result,
        comparisons=comparisons,
        missing=tuple(
            replace(m, key=missing_key(m.measure, Period.from_iso(m.period), place_code(m.geography), ids(m.source),
                                       ids(m.absent_from), m.kind))
            for m in result.missing
        ),
        empty=tuple(replace(e, key=empty_key(e.measure, ids(e.left), ids(e.right))) for e in result.empty),
        anomalies=tuple(replace(a, source_id=ids(a.source)) for a in result.anomalies),
    )
