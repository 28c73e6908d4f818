"""The facts behind a disagreement, gathered once: both sides' bridges, the record linkage, what the measure expects.

The verdict (reports/verdict.py) and the bridge explanation (reports/bridges_view.py) both write their sentence
with `explain_discrepancy`, from the same `DiscrepancyFacts`, so the two can never tell different stories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..domain.geography import ENGLAND
from ..domain.intervals import Interval
from ..domain.status import Status
from ..model.reconciliation import Bridge, Comparison, ReconcileResult, Unmatched
from ..model.release import Expectation, MeasureNote, Release
from .disclosure import Cell, Disclosure
from .wording import (
    counted,
    expectation_text,
    figure_text,
    gap_words,
    linkage_cell,
    period_label,
    period_shift_words,
    verb,
)


@dataclass(frozen=True)
class Side:
    source: str
    period: str  # ISO: this side's own period
    value: Interval | None
    bridge: Bridge | None
    only: int  # deaths linkage found in this source and not the other
    shifted_in: int | None  # deaths this source dates in the period that the other dates elsewhere; None: unknown

    def cell(self, measure: str, geography: str, figure: str = "value") -> Cell:
        return Cell(self.source, measure, self.period, geography, figure)


@dataclass(frozen=True)
class DiscrepancyFacts:
    comparison: Comparison
    title: str
    left: Side
    right: Side
    matched: int | None  # None: the two sources were not linked record by record (e.g. a published figure)
    shifts: int
    expectation: Expectation | None
    expected_only: str | None  # "left" or "right": whose unmatched deaths the relation expects; None: nobody's

    @property
    def real_only(self) -> tuple[Side, ...]:
        """The sides whose deaths-only-here are real gaps (not expected by the measure's relation)."""
        return tuple(s for name, s in (("left", self.left), ("right", self.right)) if s.only and name != self.expected_only)

    @property
    def cause(self) -> str:
        """period_shift, missing, both, unexplained (linked, nothing found) or not_linked."""
        if self.matched is None and not (self.shifts or self.left.only or self.right.only):
            return "not_linked"
        missing = bool(self.real_only)
        if self.shifts and missing:
            return "both"
        if self.shifts:
            return "period_shift"
        return "missing" if missing else "unexplained"

    def cell(self, figure: str) -> Cell:
        c = self.comparison
        return linkage_cell(c.left, c.right, c.measure, c.period, figure)


def expected_side(relation: str) -> str | None:
    """For `left >= right` deaths only in left are expected (it counts more by design); `<=` the reverse; `==` none."""
    return {">=": "left", "<=": "right"}.get(relation)


def source_kinds(release: Release) -> dict[str, str]:
    return {s.name: s.kind for s in release.sources}


def expectation_for(note: MeasureNote | None, left: str, right: str, kinds: Mapping[str, str]) -> Expectation | None:
    """The measure's expected relation between two sources; its sides may be named by source name or by kind."""
    if note is None:
        return None
    for e in note.expectations:
        if e.left in (left, kinds.get(left)) and e.right in (right, kinds.get(right)):
            return e
    return None


def _linkage(result: ReconcileResult, c: Comparison) -> Unmatched | None:
    return next((u for u in result.unmatched if (u.measure, u.period, u.left, u.right) == (c.measure, c.period, c.left, c.right)), None)


def _bridge(bridges: Iterable[Bridge], source: str, measure: str, period: str) -> Bridge | None:
    return next((b for b in bridges if (b.source, b.measure, b.period) == (source, measure, period)), None)


def discrepancy_facts(comparison: Comparison, result: ReconcileResult, release: Release) -> DiscrepancyFacts:
    c = comparison
    notes = {m.id: m for m in release.measures}
    link = _linkage(result, c)
    if link is not None:
        only_left, only_right, shifts = link.counts
        matched: int | None = link.matched
    else:
        only_left, only_right, shifts, matched = c.only_left, c.only_right, c.period_shifts, None
    into_left = into_right = None
    if matched is not None and all(v is not None and v.is_exact for v in (c.left_value, c.right_value)):
        # Each side's count is its matched deaths, its deaths only here, and the deaths only it dates in this period.
        into_left = int(c.left_value.low) - matched - only_left  # type: ignore[union-attr]
        into_right = int(c.right_value.low) - matched - only_right  # type: ignore[union-attr]
        if min(into_left, into_right) < 0 or into_left + into_right != shifts:
            into_left = into_right = None
    expectation = expectation_for(notes.get(c.measure), c.left, c.right, source_kinds(release))
    left_bridge = _bridge(result.bridges, c.left, c.measure, c.left_period)
    right_bridge = _bridge(result.bridges, c.right, c.measure, c.right_period)
    return DiscrepancyFacts(
        comparison=c,
        title=release.titles.get(c.measure, c.measure),
        left=Side(c.left, c.left_period, c.left_value, left_bridge, only_left, into_left),
        right=Side(c.right, c.right_period, c.right_value, right_bridge, only_right, into_right),
        matched=matched,
        shifts=shifts,
        expectation=expectation,
        expected_only=expected_side(c.relation),
    )


def value_text(facts: DiscrepancyFacts, side: Side, disclosure: Disclosure) -> str:
    text = figure_text(side.value, disclosure, side.cell(facts.comparison.measure, facts.comparison.geography))
    if side.period != facts.comparison.period:
        text += f" ({period_label(side.period)})"
    return text


def hides_a_side(facts: DiscrepancyFacts, disclosure: Disclosure) -> bool:
    c = facts.comparison
    return any(disclosure.hides_value(s.cell(c.measure, c.geography), s.value) for s in (facts.left, facts.right) if s.value is not None)


def outcome_text(facts: DiscrepancyFacts, disclosure: Disclosure) -> str:
    """What was observed: `csprp 48, dfe_cla 49: discrepancy`."""
    return (f"{facts.left.source} {value_text(facts, facts.left, disclosure)}, "
            f"{facts.right.source} {value_text(facts, facts.right, disclosure)}: discrepancy")  # fmt: skip


def expected_text(facts: DiscrepancyFacts) -> str:
    c = facts.comparison
    return expectation_text(c.left, c.relation, c.right, c.tolerance)


def _count(facts: DiscrepancyFacts, number: int, figure: str, disclosure: Disclosure) -> tuple[str, bool]:
    hidden = disclosure.hides_value(facts.cell(figure), number)
    return ("c" if hidden else f"{number:,}"), hidden


def explain_discrepancy(facts: DiscrepancyFacts, disclosure: Disclosure) -> str:
    """Why the two sources disagree, from record linkage: THE sentence both the verdict and the bridge view print."""
    c = facts.comparison
    period = c.period_label
    parts = []
    shown, hidden = _count(facts, facts.shifts, "period_shifts", disclosure)
    if facts.shifts:
        directed = [s for s in (facts.left, facts.right) if s.shifted_in]
        # Which side dates them here is derived from both counts; --publish never shows that split.
        if len(directed) == 1 and not disclosure.publish:
            here, other = directed[0], (facts.right if directed[0] is facts.left else facts.left)
            parts.append(f"{counted(facts.shifts, 'death', 'deaths')} that {here.source} dates in {period} "
                         f"{verb(facts.shifts, False, 'is', 'are')} dated in another period by {other.source}")  # fmt: skip
        else:
            parts.append(period_shift_words(facts.shifts, hidden, shown))
    for name, side, other in (("left", facts.left, facts.right), ("right", facts.right, facts.left)):
        if side.only and name != facts.expected_only:
            figure = "only_left" if name == "left" else "only_right"
            shown, hidden = _count(facts, side.only, figure, disclosure)
            parts.append(f"{counted(side.only, 'death', 'deaths', hidden, shown)} in {side.source} "
                         f"{verb(side.only, hidden, 'has', 'have')} no {other.source} record")  # fmt: skip
    cause = facts.cause
    if cause == "not_linked":
        if facts.left.bridge is None and facts.right.bridge is None:
            return "both are published figures, so the records behind them cannot be linked or bridged here"
        published = facts.left.source if facts.left.bridge is None else facts.right.source
        return f"the deaths behind the two counts cannot be linked record by record, as {published} is a published figure"
    if cause == "unexplained":
        if facts.left.only or facts.right.only:
            return ("record linkage does not explain the difference: no death is dated in different periods, and the deaths "
                    "in one source only are those the measure expects")  # fmt: skip
        return "record linkage finds the same deaths in both sources in the same period, so the difference is not explained"
    lead = {"period_shift": "a period shift, not a missing record", "missing": "deaths missing from one source",
            "both": "a period shift and deaths missing from one source"}[cause]  # fmt: skip
    return f"the cause is {lead}: " + "; ".join(parts)


def comparison_explanation(c: Comparison, release: Release, disclosure: Disclosure) -> str:
    """What every output says behind a national comparison that is not exact: `explain_discrepancy`; else nothing."""
    if c.geography != ENGLAND or c.status not in (Status.DISCREPANCY, Status.WITHIN_TOLERANCE):
        return ""
    return explain_discrepancy(discrepancy_facts(c, release.reconciliation or ReconcileResult(), release), disclosure)


def disagreement_sentence(facts: DiscrepancyFacts, disclosure: Disclosure) -> str:
    """The verdict's line for a national discrepancy: what disagrees, the outcome, the expectation, and why."""
    c = facts.comparison
    gap = "" if disclosure.hides_difference(c) else gap_words(c.difference)
    return (f"{c.left} and {c.right} disagree on {facts.title.lower()} in {c.period_label}{gap} "
            f"({outcome_text(facts, disclosure).removesuffix(': discrepancy')}; expected: {expected_text(facts)}); "
            f"{explain_discrepancy(facts, disclosure)}.")  # fmt: skip
