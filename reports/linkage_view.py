"""Unmatched records, sorted by what they mean: gaps, deaths dated in different periods, and non-matches the
measure expects by design (each with the rule that expects them)."""

from __future__ import annotations

from collections.abc import Sequence

from ..model.release import Release
from .disclosure import Disclosure
from .facts import expectation_for, expected_side, source_kinds
from .view_model import Sample, ShiftRow, Unmatched, UnmatchedRow
from .wording import expectation_text, figure_text, linkage_cell

SAMPLE = 10


def sample(ids: Sequence[str], disclosure: Disclosure) -> Sample:
    if not disclosure.shows_record_ids:
        return Sample((), 0)
    return Sample(tuple(ids[:SAMPLE]), max(0, len(ids) - SAMPLE))


def unmatched_view(release: Release, disclosure: Disclosure) -> Unmatched:
    result = release.reconciliation
    if result is None:
        return Unmatched()
    notes = {m.id: m for m in release.measures}
    kinds = source_kinds(release)
    gaps: list[UnmatchedRow] = []
    expected: list[UnmatchedRow] = []
    shifts: list[ShiftRow] = []
    for u in result.unmatched:
        only_left, only_right, shifted = u.counts
        title = release.titles.get(u.measure, u.measure)
        pair = f"{u.left} / {u.right}"
        expectation = expectation_for(notes.get(u.measure), u.left, u.right, kinds)
        relation = expectation.relation if expectation else "=="
        expects = expected_side(relation)
        for side, number, ids, source, other in (("left", only_left, u.only_left, u.left, u.right),
                                                 ("right", only_right, u.only_right, u.right, u.left)):  # fmt: skip
            if not number:
                continue
            count = figure_text(number, disclosure, linkage_cell(u.left, u.right, u.measure, u.period, f"only_{side}"))
            if side == expects:
                # A side is expected only by a relation the measure states, so `expectation` is there.
                rule = (expectation.reason or expectation_text(expectation.left, expectation.relation, expectation.right)
                        if expectation else "")
                expected.append(UnmatchedRow(title, u.period_label, pair, source, other, count, sample(ids, disclosure), rule))
            else:
                gaps.append(UnmatchedRow(title, u.period_label, pair, source, other, count, sample(ids, disclosure)))
        if shifted:
            count = figure_text(shifted, disclosure, linkage_cell(u.left, u.right, u.measure, u.period, "period_shifts"))
            shifts.append(ShiftRow(title, u.period_label, pair, count))
    return Unmatched(tuple(gaps), tuple(shifts), tuple(expected))
