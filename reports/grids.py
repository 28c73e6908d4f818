"""Each measure as a period x source table: every source's count with its headline, whether or not it was compared.

The same grid is the first page's table for the measure, the matrix under the measure's definition, and the
measure's CSV side file. Every figure passes through the disclosure with its cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..canonical.registry import kind_display
from ..domain.geography import ENGLAND, ancestors_of, known_la_codes, la_field, la_label, la_name
from ..domain.intervals import Interval
from ..domain.status import Status
from ..model.rates import Rate
from ..model.reconciliation import Bridge, Comparison, ReconcileResult, SeriesPoint
from ..model.release import MeasureNote, Release
from .disclosure import Cell, Disclosure
from .facts import discrepancy_facts, expectation_for, expected_side, explain_discrepancy, source_kinds
from .view_model import ExpectationLine, GridCell, GridRow, MeasureGrid, Outcome, SideFile, SourceColumn, status_label
from .wording import (
    difference_text,
    expectation_text,
    figure_text,
    period_label,
    rate_per_text,
    tolerance_by_level,
)

RESERVED = ("check-failures", "unmatched", "provenance")


def measure_ids(release: Release) -> tuple[str, ...]:
    """Every measure the release has figures for, in config order, then any the config did not describe."""
    result = release.reconciliation
    found = [p.measure for p in result.series] + [b.measure for b in result.bridges] if result else []
    return tuple(dict.fromkeys([*(m.id for m in release.measures if m.id in found), *found]))


def _sources(note: MeasureNote | None, points: Sequence[SeriesPoint], bridges: Sequence[Bridge],
             compared: Sequence[Comparison] = ()) -> tuple[str, ...]:  # fmt: skip
    present = [p.source for p in points] + [b.source for b in bridges] + [s for c in compared for s in (c.left, c.right)]
    configured = [name for name in (note.sources if note else ()) if name in present]
    return tuple(dict.fromkeys([*configured, *present]))


def rate_words(rate: Rate) -> str:
    return rate_per_text(rate.rate, rate.per)


def side_file_names(measures: Sequence[str]) -> dict[str, str]:
    """A safe, unique side-file suffix per measure: letters, digits, - and _ only, never a reserved name."""
    names: dict[str, str] = {}
    for measure in measures:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", measure).strip("-")[:60] or "measure"
        if base in RESERVED:
            base = f"measure-{base}"
        name, number = base, 2
        while name in names.values():
            name, number = f"{base}-{number}", number + 1
        names[measure] = name
    return names


def grid_places(result: ReconcileResult, measure: str, sources: Sequence[str],
                scopes: Mapping[str, frozenset[str]]) -> tuple[str, ...]:  # fmt: skip
    """Where a measure's counts are shown: the places really compared. Compared only in some LAs (one LA's census, a
    few LAs'): those places, the regions with any LA outside them, else the LAs. Otherwise England (when something was
    compared there, or a source is England's), and where a source that is some LAs' return (`scopes`) was compared, or
    its LA when it is one LA's return compared with nothing (its bridge is that LA's count)."""
    comparisons = [c for c in result.comparisons if c.measure == measure]
    compared = {c.geography for c in comparisons}
    if compared and ENGLAND not in compared:
        return _widest(compared)
    scoped = {name for name in sources if scopes.get(name)}
    local = {c.geography for c in comparisons if {c.left, c.right} & scoped} - {ENGLAND}
    paired = {name for c in comparisons for name in (c.left, c.right)}
    local |= {la for name in scoped - paired if len(scopes[name]) == 1 for la in scopes[name]}
    national = ENGLAND in compared or any(not scopes.get(name) for name in sources) or not local
    return ((ENGLAND,) if national else ()) + _widest(local)


def _widest(places: set[str]) -> tuple[str, ...]:
    """The regions among these places, then the LAs no region among them holds (London holds Inner and Outer London's):
    an LA is held where any place above it in the one hierarchy is among them (England never is: see grid_places)."""
    las = known_la_codes("ons")
    wide = {g for g in places if g not in las}
    return tuple(sorted(wide)) + tuple(sorted(g for g in places if g in las and wide.isdisjoint(ancestors_of(g))))


def places_words(places: Sequence[str]) -> str:
    """The places a grid shows, in a heading: "Surrey", "Hartlepool and Walsall", "5 local authorities"."""
    names = [la_name(p) for p in places]
    if len(names) <= 3:
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{len(names)} local authorities" if all(p in la_field("la_name") for p in places) else f"{len(names)} places"


def measure_grids(release: Release, disclosure: Disclosure, palette: Mapping[str, tuple[str, str]]) -> tuple[MeasureGrid, ...]:
    result = release.reconciliation
    if result is None:
        return ()
    notes = {m.id: m for m in release.measures}
    kinds = source_kinds(release)
    files = side_file_names(measure_ids(release))
    scopes = {s.name: frozenset(s.las) for s in release.sources}  # the LAs a source is the return of; none: England's
    grids = []
    for measure in measure_ids(release):
        note = notes.get(measure)
        points = [p for p in result.series if p.measure == measure]
        bridges = [b for b in result.bridges if b.measure == measure]
        sources = _sources(note, points, bridges, [c for c in result.comparisons if c.measure == measure])
        places = grid_places(result, measure, sources, scopes)
        compared = [c for c in result.comparisons if c.measure == measure and c.geography in places]
        value: dict[tuple[str, str, str], Interval | None] = {(p.source, p.period, ENGLAND): p.value for p in points}
        for c in compared:  # a place's figures are those its comparisons used
            value.setdefault((c.left, c.left_period, c.geography), c.left_value)
            value.setdefault((c.right, c.right_period, c.geography), c.right_value)
        bridge = {(b.source, b.period): b for b in bridges}
        rates = {(r.source, r.period, r.geography): r for r in result.rates if r.measure == measure}
        flagged = {(side, c.period, c.geography) for c in compared if c.status == Status.DISCREPANCY for side in (c.left, c.right)}
        periods = sorted({period for _, period, place in value if place in places} | {b.period for b in bridges})
        rows = []
        for period in periods:
            for place in places:
                # A source's bridge is its count here only where the source is this place's return (or England's).
                own = {s: bridge.get((s, period)) if scopes.get(s, frozenset()) == _scope(place) else None for s in sources}
                cells = tuple(_cell(measure, s, period, place, value.get((s, period, place)), own[s],
                                    rates.get((s, period, place)), disclosure, (s, period, place) in flagged)
                              for s in sources)  # fmt: skip
                if len(places) == 1 and place != ENGLAND and not any(cell.text for cell in cells):
                    continue  # a period no source counts here (with several places, each period has a row for each)
                outcomes = tuple(_outcome(c, result, release, disclosure) for c in compared if (c.period, c.geography) == (period, place))
                label = period_label(period) + (f", {la_name(place)}" if len(places) > 1 else "")
                rows.append(GridRow(label, cells, outcomes))
        title = release.titles.get(measure, note.title if note else measure)
        grids.append(
            MeasureGrid(
                measure=measure,
                title=title,
                definition=note.definition if note else "",
                sources=tuple(SourceColumn(s, kind_display(kinds.get(s, "")), *palette.get(s, ("#1b1b1b", "circle"))) for s in sources),
                rows=tuple(rows),
                expectations=_expectations(note, kinds),
                elsewhere=_elsewhere(result, measure, disclosure, places),
                side_file=files[measure],
                has_changes=any(cell.change for row in rows for cell in row.cells),
                has_rates=any(cell.rate for row in rows for cell in row.cells),
                has_flags=bool(flagged),
                place=places_words(places),
                rows_per_period=len(places),
            )
        )
    return tuple(grids)


def _scope(place: str) -> frozenset[str]:
    return frozenset() if place == ENGLAND else frozenset({place})


def _cell(measure: str, source: str, period: str, place: str, value: Interval | None, bridge: Bridge | None,
          rate: Rate | None, disclosure: Disclosure, flagged: bool = False) -> GridCell:  # fmt: skip
    cell = Cell(source, measure, period, place, "value")
    if value is not None:
        text = figure_text(value, disclosure, cell)
    elif bridge is not None:  # a record source not compared here: its harmonised count, as its bridge (nationally) has it
        text = figure_text(bridge.harmonised, disclosure, Cell(source, measure, period, ENGLAND, "value"))
    else:
        return GridCell("")
    change = ""
    if bridge is not None and bridge.headline != bridge.harmonised:
        change = f"{figure_text(bridge.headline, disclosure, Cell(source, measure, period, ENGLAND, 'headline'))} → {text}"
    shown_rate = ""
    if rate is not None and not disclosure.hides_value(cell, rate.count):
        shown_rate = rate_words(rate)
    return GridCell(text, change, shown_rate, flagged)


def _outcome(c: Comparison, result: ReconcileResult, release: Release, disclosure: Disclosure) -> Outcome:
    facts = discrepancy_facts(c, result, release)
    cells = Cell(c.left, c.measure, c.left_period, c.geography), Cell(c.right, c.measure, c.right_period, c.geography)
    left, right = figure_text(c.left_value, disclosure, cells[0]), figure_text(c.right_value, disclosure, cells[1])
    if c.right_period != c.left_period:
        right += f" ({period_label(c.right_period)})"
    hidden = disclosure.hides_difference(c)
    return Outcome(
        pair=f"{c.left} and {c.right}",
        status=c.status,
        status_label=status_label(c.status, c.relation),
        text=f"{c.left} {left}, {c.right} {right}",
        difference="" if hidden else difference_text(c.difference),
        explanation=explain_discrepancy(facts, disclosure) if c.status == Status.DISCREPANCY else "",
        acknowledgement=c.acknowledgement.status.value if c.acknowledgement is not None else "",
    )


def unmatched_rule(relation: str, left: str, right: str) -> str:
    side = expected_side(relation)
    if side is None:
        return "every death should be in both sources, so any death in one source only is a gap"
    more, fewer = (left, right) if side == "left" else (right, left)
    return f"deaths in {more} with no {fewer} record are expected; deaths in {fewer} with no {more} record are gaps"


def _named(side: str, note: MeasureNote, kinds: Mapping[str, str]) -> str:
    """An expectation's side (a source name or a kind) as the configured sources it stands for."""
    names = [name for name in note.sources if side in (name, kinds.get(name))]
    return " and ".join(names)


def _expectations(note: MeasureNote | None, kinds: Mapping[str, str]) -> tuple[ExpectationLine, ...]:
    """Each expected relation between configured sources, in their names (a side the config lacks is left out)."""
    if note is None:
        return ()
    out = []
    for e in note.expectations:
        left, right = _named(e.left, note, kinds), _named(e.right, note, kinds)
        if left and right:
            # Published figures are not linked record by record, so no unmatched deaths are expected of them.
            linked = not any(kinds.get(name) == "published" for side in (e.left, e.right) for name in note.sources
                             if side in (name, kinds.get(name)))  # fmt: skip
            if e.learned_after is not None:
                compared = (f"{expectation_text(left, e.relation, right)} (a tolerance learned for each place from the "
                            f"differences of earlier releases in the run history; until it holds {e.learned_after}: "
                            f"{tolerance_by_level(e.tolerances)})")  # fmt: skip
            elif e.tolerances:
                compared = f"{expectation_text(left, e.relation, right)} ({tolerance_by_level(e.tolerances)})"
            else:
                compared = expectation_text(left, e.relation, right)
            out.append(ExpectationLine(compared, e.reason,
                                       unmatched_rule(e.relation, left, right) if linked else ""))  # fmt: skip
    return tuple(out)


def _elsewhere(result: ReconcileResult, measure: str, disclosure: Disclosure, places: Sequence[str] = (ENGLAND,)) -> tuple[str, ...]:
    """Discrepancies in the places the grid does not show (regions and LAs, for a grid of England's counts)."""
    out = []
    for c in result.comparisons:
        if c.measure != measure or c.geography in places or c.geography == ENGLAND or c.status != Status.DISCREPANCY:
            continue
        left = figure_text(c.left_value, disclosure, Cell(c.left, c.measure, c.left_period, c.geography))
        right = figure_text(c.right_value, disclosure, Cell(c.right, c.measure, c.right_period, c.geography))
        out.append(f"{la_label(c.geography)}, {c.period_label}: {c.left} {left}, {c.right} {right} "
                   f"(expected: {expectation_text(c.left, c.relation, c.right, c.tolerance)})"
                   + (" (acknowledged)" if c.acknowledgement is not None and c.acknowledgement.settles else ""))  # fmt: skip
    return tuple(out)


def grid_side_file(grid: MeasureGrid) -> SideFile:
    """The grid as a CSV a steward can open: period, each source's count, then each headline that differs."""
    changed = [i for i, _ in enumerate(grid.sources) if any(row.cells[i].change for row in grid.rows)]
    rated = [i for i, _ in enumerate(grid.sources) if any(row.cells[i].rate for row in grid.rows)]
    header = ("period", *(s.name for s in grid.sources), *(f"{grid.sources[i].name} headline" for i in changed),
              *(f"{grid.sources[i].name} rate" for i in rated))  # fmt: skip
    rows = tuple(
        (row.period, *(_plain(c.text) for c in row.cells), *(_plain(row.cells[i].change.split(" → ")[0]) for i in changed),
         *(row.cells[i].rate for i in rated))
        for row in grid.rows
    )  # fmt: skip
    return SideFile(grid.side_file, header, rows)


def _plain(text: str) -> str:
    """`1,000` as 1000 for a spreadsheet; intervals (`45 to 54`) and `c` as they are."""
    return text.replace(",", "")


def linked_expectation(release: Release, c: Comparison) -> str:
    """The reason the measure gives for the comparison's expected relation ('' when it gives none)."""
    notes = {m.id: m for m in release.measures}
    found = expectation_for(notes.get(c.measure), c.left, c.right, source_kinds(release))
    return found.reason if found else ""
