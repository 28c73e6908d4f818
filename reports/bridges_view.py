"""Bridges in the report: every source's headline to its harmonised count, and each national discrepancy explained
with both sides' bridges and the record linkage, in the words the verdict uses (reports/facts.py)."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.geography import ENGLAND
from ..domain.intervals import SUPPRESSED
from ..domain.status import Status
from ..model.reconciliation import Bridge
from ..model.release import Release
from .disclosure import Cell, Disclosure
from .facts import DiscrepancyFacts, Side, discrepancy_facts, expected_text, explain_discrepancy, outcome_text
from .glossary import glossary_anchor, has_entry
from .grids import measure_ids
from .view_model import BridgeRow, BridgeTable, Explained, LinkRow, StepRow
from .wording import figure_text, period_label


def step_change(bridge: Bridge, step: str, disclosure: Disclosure) -> str:
    """A step's change to the count, signed: `-2` removes two deaths, `+3` adds three; `c` when withheld."""
    found = next((s for s in bridge.steps if s.step == step), None)
    if found is None:
        return ""
    if found.count == 0:
        return "0"
    shown = figure_text(abs(found.count), disclosure, Cell(bridge.source, bridge.measure, bridge.period, ENGLAND, step))
    if shown == SUPPRESSED:
        return shown
    return ("−" if found.count > 0 else "+") + shown


def _headline(bridge: Bridge, disclosure: Disclosure) -> str:
    return figure_text(bridge.headline, disclosure, Cell(bridge.source, bridge.measure, bridge.period, ENGLAND, "headline"))


def _harmonised(bridge: Bridge, disclosure: Disclosure) -> str:
    return figure_text(bridge.harmonised, disclosure, Cell(bridge.source, bridge.measure, bridge.period, ENGLAND, "value"))


def _step_heads(bridges: Sequence[Bridge]) -> tuple[tuple[StepRow, ...], tuple[str, ...]]:
    """The steps that changed something in any of the bridges (as columns or rows), and those that changed nothing."""
    order = list(dict.fromkeys(s.step for b in bridges for s in b.steps))
    described = {s.step: s.description for b in bridges for s in b.steps}
    moved = [step for step in order if any(s.count for b in bridges for s in b.steps if s.step == step)]
    heads = tuple(StepRow(step, described[step], (), glossary_anchor(step) if has_entry(step) else "") for step in moved)
    return heads, tuple(step for step in order if step not in moved)


def bridge_tables(release: Release, disclosure: Disclosure, source_order: Sequence[str]) -> tuple[BridgeTable, ...]:
    """Per measure, one row per source and period with a bridge, whether or not anything was compared with it."""
    result = release.reconciliation
    if result is None:
        return ()
    rank = {name: i for i, name in enumerate(source_order)}
    out = []
    for measure in measure_ids(release):
        bridges = sorted((b for b in result.bridges if b.measure == measure), key=lambda b: (rank.get(b.source, 99), b.source, b.period))
        if not bridges:
            continue
        heads, unchanged = _step_heads(bridges)
        rows = tuple(
            BridgeRow(b.source, b.period_label, _headline(b, disclosure),
                      tuple(step_change(b, h.step, disclosure) for h in heads), _harmonised(b, disclosure))
            for b in bridges
        )  # fmt: skip
        out.append(BridgeTable(measure, release.titles.get(measure, measure), heads, rows, unchanged))
    return tuple(out)


def _linkage_rows(facts: DiscrepancyFacts, disclosure: Disclosure) -> tuple[LinkRow, ...]:
    """What record linkage found, per side: deaths in both, deaths the other dates elsewhere, deaths only here."""
    if facts.cause == "not_linked":
        return ()

    def count(number: int | None, figure: str) -> str:
        if number is None:
            return ""
        return figure_text(number, disclosure, facts.cell(figure))

    rows = []
    if facts.matched is not None:
        matched = count(facts.matched, "matched")
        rows.append(LinkRow("in both sources, same period", (matched, matched)))
    # Which side dates the shifted deaths here is derived from both counts; --publish never shows that split.
    directed = facts.left.shifted_in is not None and facts.right.shifted_in is not None and not disclosure.publish
    if facts.shifts:
        if directed:
            shifted = (count(facts.left.shifted_in, "period_shifts"), count(facts.right.shifted_in, "period_shifts"))
            hidden = disclosure.hides_value(facts.cell("period_shifts"), facts.shifts)
            shifted = ("c", "c") if hidden else shifted
            rows.append(LinkRow("dated in this period here, in another by the other source", shifted))
        else:
            both = count(facts.shifts, "period_shifts")
            rows.append(LinkRow("dated in different periods by the two sources (either side)", (both, both)))
    only = (count(facts.left.only, "only_left"), count(facts.right.only, "only_right"))
    notes = []
    for name, side in (("left", facts.left), ("right", facts.right)):
        if side.only:
            notes.append(f"{side.source}: {'expected' if name == facts.expected_only else 'a gap'}")
    rows.append(LinkRow("in this source only", only, "; ".join(notes)))
    return tuple(rows)


def _step_rows(facts: DiscrepancyFacts, disclosure: Disclosure) -> tuple[tuple[StepRow, ...], tuple[str, ...]]:
    sides: tuple[Side, Side] = (facts.left, facts.right)
    bridges = [s.bridge for s in sides if s.bridge is not None]
    if not bridges:
        return (), ()  # two published figures: nothing to bridge
    heads, unchanged = _step_heads(bridges)
    c = facts.comparison

    def value(side: Side, figure: str) -> str:
        if side.bridge is None:
            return ""
        if figure == "headline":
            return _headline(side.bridge, disclosure)
        if figure == "value":
            return _harmonised(side.bridge, disclosure)
        return step_change(side.bridge, figure, disclosure)

    rows = [StepRow("headline", "as each source counts it", tuple(value(s, "headline") for s in sides))]
    rows += [StepRow(h.step, h.description, tuple(value(s, h.step) for s in sides), h.anchor) for h in heads]
    harmonised = tuple(value(s, "value") if s.bridge is not None else
                       figure_text(s.value, disclosure, s.cell(c.measure, c.geography)) for s in sides)  # fmt: skip
    rows.append(StepRow("harmonised", "on the harmonised definition: what is compared", harmonised))
    return tuple(rows), unchanged


def explained(release: Release, disclosure: Disclosure) -> tuple[Explained, ...]:
    """Each national discrepancy: both sides' bridges, the linkage, and the verdict's own sentence."""
    result = release.reconciliation
    if result is None:
        return ()
    out = []
    # Acknowledged ones too: their bridges are often why they were signed off.
    for number, c in enumerate(d for d in result.comparisons if d.status == Status.DISCREPANCY and d.geography == ENGLAND):
        facts = discrepancy_facts(c, result, release)
        steps, unchanged = _step_rows(facts, disclosure)
        rule = ""
        if facts.expected_only is not None:
            more, fewer = (c.left, c.right) if facts.expected_only == "left" else (c.right, c.left)
            rule = f"Deaths in {more} with no {fewer} record are expected by the measure, not gaps"
            rule += f": {facts.expectation.reason}" if facts.expectation and facts.expectation.reason else "."
        right_period = f" ({c.right} {period_label(c.right_period)})" if c.right_period != c.left_period else ""
        out.append(
            Explained(
                heading=f"{facts.title}, {c.period_label}{right_period}: {c.left} and {c.right}",
                anchor=f"discrepancy-{number + 1}",
                sources=(c.left, c.right),
                expected=expected_text(facts),
                reason=facts.expectation.reason if facts.expectation else "",
                outcome=outcome_text(facts, disclosure),
                explanation=explain_discrepancy(facts, disclosure),
                steps=steps,
                linkage=_linkage_rows(facts, disclosure),
                expected_only=rule,
                unchanged=unchanged,
            )
        )
    return tuple(out)
