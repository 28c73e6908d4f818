"""Secondary suppression for `--publish`: which figures every output withholds, decided once per run.

Every figure an output can show is a `Cell` (reports/disclosure.py). The withheld set grows, never
shrinks, until no rule adds to it:

(a) primary: a figure either of whose bounds is 1 to 5 (a bridge step of -3 too). Zeros are shown.
(b) differences: two exact figures shown for the same measure, period and geography by two sources
    may not differ by 1 to 5 (48 against 49 says one death is missing from one of them). One is
    withheld: never a published table's figure (it is public already, so withholding it protects
    nothing); else the one in more such pairs there; then the larger; then by source name.
(c) hierarchy, for each record-level source, measure and period: England = its regions (the eight
    and London, or Inner and Outer London where the source has no London figure), London = Inner +
    Outer London, each region = its LAs (as in the LA lookup); England = its LAs where no region is
    shown. Deaths with no region are the hidden rest of an equation: unknown when 1 to 5.
(d) bridges: headline = the steps + the harmonised count.
(e) linkage, for each pair of linked sources and period: left = matched + only_left + the shifts
    the left dates here; right likewise; period_shifts = the two sides' shifts (the split is never
    shown: hidden, and unknown when 1 to 5).
(f) agreement: a comparison `==` that agrees with both figures exact says they are equal (per 12
    months), so the two figures are an equation too.
(g) statuses: a comparison's status, with its relation and tolerance, bounds a withheld figure by the
    figure shown beside it (`ncmd 0, dfe_cla c: within 2` says c is 1 or 2). Where it narrows a `c`
    of 1 to 5 to fewer of those values, or bounds a figure withheld to protect others on both sides,
    the figure beside it is withheld too.
(h) complements: a record source's total of deaths (its check summary) = each measure's harmonised
    national counts over the periods it is counted in + the rest (deaths no such count holds); a
    rest of 1 to 5 is unknown, so the total is withheld.

In every equation of (c)-(f): when exactly one figure is unknown (withheld, or a hidden rest of 1
to 5), or the unknown figures (all of one sign) add up to 1 to 5, another figure of the equation
is withheld: for (c) the smallest shown non-zero part (else the whole), for (d) the headline
(else the smallest step, else the harmonised count), for (e) the smallest linkage count (else
matched, else a source's count), for (f) the other side; zeros only when nothing else is left, a
published figure never, nor a figure that agrees exactly with a shown published one (the
agreement would give it away).

Last, an audit: across all the equations at once, no withheld figure may be determined by what is
shown (its unit vector lies in the row space of the equations restricted to the unknown figures).
For each one that is, another figure of one of its equations is withheld, and the rules run again.
Published tables' own hierarchies are not re-suppressed: their figures are public already.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from ..domain.geography import ENGLAND, LONDON, las_in, level_of, parts_of, region_las
from ..domain.intervals import Interval
from ..domain.periods import Period
from ..domain.status import Status
from ..model.reconciliation import ReconcileResult
from ..model.release import Release
from .disclosure import Cell, Disclosure, is_small, pair_source, total_cell
from .inference import determined, status_narrows

_ORDER = {"agreement": 0, "bridge": 1, "linkage": 2, "hierarchy": 3, "complement": 4}


@dataclass
class _Figure:
    low: float
    high: float
    public: bool = False  # a published table's figure: public already
    virtual: bool = False  # never shown: the rest of an equation (deaths with no region, one side's shifts)

    @property
    def exact(self) -> bool:
        return self.low == self.high and not math.isinf(self.high)


@dataclass(frozen=True)
class _Equation:
    kind: str
    terms: tuple[tuple[Cell, float], ...]  # the sum of coefficient x value is 0
    tiers: tuple[int, ...]  # per term: lower is withheld first when the equation needs another figure


def _primary(figure: _Figure) -> bool:
    """Rule (a): either bound 1 to 5. A published rounded 10 (5 to 14) is withheld too: over-cautious for a
    public figure, but no output then carries a 5 that a reader could take for a count."""
    return is_small(figure.low) or is_small(figure.high)


class _Suppression:
    def __init__(self, release: Release) -> None:
        self.public = {s.name for s in release.sources if s.published}
        self.figures: dict[Cell, _Figure] = {}
        self.equations: list[_Equation] = []
        self.withheld: set[Cell] = set()
        self.agrees_with_public: set[Cell] = set()
        self.exposed: set[Cell] = set()  # withheld, yet determined by what is shown: nothing left could hide it
        result = release.reconciliation or ReconcileResult()
        self._collect(result)
        self._hierarchies()
        self._bridges(result)
        self._linkage(result)
        self._agreements(result)
        self._totals(release)
        self.comparisons = [c for c in result.comparisons if c.left_value is not None and c.right_value is not None]
        groups: dict[tuple[str, str, str], list[Cell]] = defaultdict(list)
        for cell, figure in self.figures.items():
            if cell.figure == "value" and figure.exact and not figure.virtual:
                groups[(cell.measure, cell.period, cell.geography)].append(cell)
        self.places = [sorted(cells) for cells in groups.values() if len(cells) > 1]  # figures rule (b) compares
        self.audited: dict[tuple[Cell, ...], list[Cell]] = {}  # a system's determined figures, while it is unchanged
        self.by_cell: dict[Cell, list[_Equation]] = defaultdict(list)
        for equation in self.equations:
            for cell, _ in equation.terms:
                self.by_cell[cell].append(equation)

    # --- the figures and the equations between them ---------------------------------------------------------

    def add(self, cell: Cell, value: Interval | float | None, *, public: bool = False, virtual: bool = False) -> None:
        if value is None or cell in self.figures:
            return
        low, high = (value.low, value.high) if isinstance(value, Interval) else (float(value), float(value))
        self.figures[cell] = _Figure(low, high, public, virtual)

    def _collect(self, result: ReconcileResult) -> None:
        for c in result.comparisons:
            self.add(Cell(c.left, c.measure, c.left_period, c.geography), c.left_value, public=c.left in self.public)
            self.add(Cell(c.right, c.measure, c.right_period, c.geography), c.right_value, public=c.right in self.public)
        for p in result.series:
            self.add(Cell(p.source, p.measure, p.period, ENGLAND), p.value, public=p.source in self.public)
        for r in result.rates:
            self.add(Cell(r.source, r.measure, r.period, r.geography), r.count, public=r.source in self.public)
        for k in result.coherence:
            self.add(Cell(k.source, k.measure, k.period, k.geography), k.total, public=True)
        for b in result.bridges:
            self.add(Cell(b.source, b.measure, b.period, ENGLAND), b.harmonised, public=b.source in self.public)
            self.add(Cell(b.source, b.measure, b.period, ENGLAND, "headline"), b.headline)
            for step in b.steps:
                self.add(Cell(b.source, b.measure, b.period, ENGLAND, step.step), step.count)
        for u in result.unmatched:
            pair = pair_source(u.left, u.right)
            only_left, only_right, shifts = u.counts
            for figure, number in (("matched", u.matched), ("only_left", only_left), ("only_right", only_right),
                                   ("period_shifts", shifts)):  # fmt: skip
                self.add(Cell(pair, u.measure, u.period, ENGLAND, figure), number)

    def equation(self, kind: str, whole: Cell, parts: Iterable[tuple[Cell, int]], rest: str, whole_tier: int = 1) -> None:
        """whole = sum of parts + a hidden rest (added as a virtual figure when it is not 0)."""
        parts = [(cell, tier) for cell, tier in parts if cell in self.figures]
        if whole not in self.figures or not parts or not all(self.figures[c].exact for c in (whole, *(p for p, _ in parts))):
            return
        remainder = self.figures[whole].low - sum(self.figures[c].low for c, _ in parts)
        terms = [(whole, 1.0), *((c, -1.0) for c, _ in parts)]
        tiers = [whole_tier, *(t for _, t in parts)]
        if remainder:
            virtual = whole._replace(figure=f"{whole.figure}:{rest}")
            self.add(virtual, remainder, virtual=True)
            terms.append((virtual, -1.0))
            tiers.append(9)
        self.equations.append(_Equation(kind, tuple(terms), tuple(tiers)))

    def _hierarchies(self) -> None:
        """(c), in the one hierarchy (domain/geography.py)."""
        places: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for cell, figure in self.figures.items():
            if cell.figure == "value" and not figure.public and not figure.virtual:
                places[(cell.source, cell.measure, cell.period)].add(cell.geography)
        for (source, measure, period), present in places.items():

            def at(place: str, source: str = source, measure: str = measure, period: str = period) -> Cell:
                return Cell(source, measure, period, place)

            for region in region_las():  # Inner and Outer London apart
                self.equation("hierarchy", at(region), [(at(la), 0) for la in parts_of(region) if la in present], "no LA")
            self.equation("hierarchy", at(LONDON), [(at(part), 0) for part in parts_of(LONDON)], "no part")
            # England's regions, London by its two parts where the source has no London figure; else its LAs.
            london = (LONDON,) if LONDON in present else parts_of(LONDON)
            regions = [r for whole in parts_of(ENGLAND) for r in (london if whole == LONDON else (whole,))]
            parts = [r for r in regions if r in present] or sorted(present & las_in(ENGLAND))
            self.equation("hierarchy", at(ENGLAND), [(at(p), 0) for p in parts], "no region")

    def _bridges(self, result: ReconcileResult) -> None:
        for b in result.bridges:
            at = Cell(b.source, b.measure, b.period, ENGLAND)
            steps = [(at._replace(figure=s.step), 1) for s in b.steps]
            self.equation("bridge", at._replace(figure="headline"), [*steps, (at, 2)], "rest", whole_tier=0)

    def _linkage(self, result: ReconcileResult) -> None:
        for u in result.unmatched:
            pair = Cell(pair_source(u.left, u.right), u.measure, u.period, ENGLAND)
            shifted = []
            for source, only in ((u.left, "only_left"), (u.right, "only_right")):
                side = Cell(source, u.measure, u.period, ENGLAND)
                if side not in self.figures or not self.figures[side].exact:
                    return
                into = pair._replace(figure=f"shifts into {source}")
                self.add(into, self.figures[side].low - self.figures[pair._replace(figure="matched")].low
                         - self.figures[pair._replace(figure=only)].low, virtual=True)  # fmt: skip
                shifted.append((into, 9))
                self.equation("linkage", side, [(pair._replace(figure="matched"), 1), (pair._replace(figure=only), 0), (into, 9)],
                              "rest", whole_tier=2)  # fmt: skip
            self.equation("linkage", pair._replace(figure="period_shifts"), shifted, "rest", whole_tier=0)

    def _agreements(self, result: ReconcileResult) -> None:
        agree: dict[Cell, set[Cell]] = defaultdict(set)
        for c in result.comparisons:
            if c.relation != "==" or c.status != Status.AGREE or c.left_value is None or c.right_value is None:
                continue
            left, right = (
                Cell(c.left, c.measure, c.left_period, c.geography),
                Cell(c.right, c.measure, c.right_period, c.geography),
            )
            if not (self.figures[left].exact and self.figures[right].exact):
                continue
            scale = (12 / Period.from_iso(c.left_period).months, -12 / Period.from_iso(c.right_period).months)
            self.equations.append(_Equation("agreement", ((left, scale[0]), (right, scale[1])), (0, 0)))
            agree[left].add(right)
            agree[right].add(left)
        # A figure agreeing exactly with a published one, or with a figure that does, is known whatever is withheld.
        reached = [c for c in agree if self.figures[c].public]
        while reached:
            for other in agree[reached.pop()]:
                if other not in self.agrees_with_public and not self.figures[other].public:
                    self.agrees_with_public.add(other)
                    reached.append(other)

    def _totals(self, release: Release) -> None:
        """(h): each record source's total against every measure's national counts of it, one equation per measure."""
        for source in release.sources:
            if source.published:
                continue
            total = total_cell(source.name)
            self.add(total, source.deaths)
            national: dict[str, list[tuple[Cell, int]]] = defaultdict(list)
            local: dict[str, list[tuple[Cell, int]]] = defaultdict(list)  # a return of some LAs has no England figure
            for cell in self.figures:
                if cell.source != source.name or cell.figure != "value":
                    continue
                level = level_of(cell.geography)
                if level != "region":
                    (national if level == "england" else local)[cell.measure].append((cell, 1))
            for measure in national.keys() | local.keys():
                self.equation("complement", total, national.get(measure) or local[measure], "rest", whole_tier=0)

    # --- the rules ------------------------------------------------------------------------------------------

    def unknown(self, cell: Cell) -> bool:
        figure = self.figures[cell]
        if figure.virtual:
            return is_small(figure.low)
        return cell in self.withheld and not figure.public

    def run(self) -> frozenset[Cell]:
        self.withheld = {c for c, f in self.figures.items() if not f.virtual and _primary(f)}
        # A published `c` ([1, unbounded)) or `k` is withheld by (a); a published figure shown stays public.
        while self._differences() | self._complements() | self._statuses() or self._audit():
            pass
        return frozenset(c for c in self.withheld if not self.figures[c].virtual)

    def _differences(self) -> bool:
        changed = False
        for cells in self.places:
            while True:
                # A withheld figure the equations still give away (or one agreeing with a published one) is as shown.
                known = [c for c in cells if c not in self.withheld or c in self.exposed or c in self.agrees_with_public]
                pairs = [(a, b) for i, a in enumerate(known) for b in known[i + 1 :]
                         if is_small(self.figures[a].low - self.figures[b].low)]  # fmt: skip
                involved: dict[Cell, int] = defaultdict(int)
                for a, b in pairs:
                    for cell in (a, b):
                        if not self.figures[cell].public and cell not in self.withheld and cell not in self.agrees_with_public:
                            involved[cell] += 1
                if not involved:
                    break
                chosen = min(involved, key=lambda c: (-involved[c], -self.figures[c].low, c))
                self.withheld.add(chosen)
                changed = True
        return changed

    def _statuses(self) -> bool:
        """(g): a status that bounds a withheld figure by the shown one beside it withholds that one too."""
        changed = False
        for c in self.comparisons:
            cells = (Cell(c.left, c.measure, c.left_period, c.geography), Cell(c.right, c.measure, c.right_period, c.geography))
            for hidden, shown in ((0, 1), (1, 0)):
                partner = cells[shown]
                if not self.unknown(cells[hidden]) or self.unknown(partner) or self.figures[partner].public:
                    continue
                if partner in self.agrees_with_public or not self.figures[partner].exact or not status_narrows(c, hidden):
                    continue
                self.withheld.add(partner)
                changed = True
        return changed

    def _needs_another(self, equation: _Equation) -> bool:
        shares = [k * self.figures[c].low for c, k in equation.terms if self.unknown(c)]
        if len(shares) == 1:
            return True
        # Unknown counts of one sign reveal their sum: 1 to 5 of them together is still a small count.
        return len(shares) > 1 and (all(s >= 0 for s in shares) or all(s <= 0 for s in shares)) and is_small(sum(shares))

    def _candidate(self, equation: _Equation) -> Cell | None:
        options = [
            (self.figures[c].low == 0, tier, abs(self.figures[c].low), c)
            for (c, _), tier in zip(equation.terms, equation.tiers, strict=True)
            if not self.figures[c].virtual and not self.figures[c].public and c not in self.withheld
            and c not in self.agrees_with_public
        ]  # fmt: skip
        return min(options)[3] if options else None

    def _complements(self) -> bool:
        changed = False
        for equation in self.equations:
            if self._needs_another(equation):
                chosen = self._candidate(equation)
                if chosen is not None:
                    self.withheld.add(chosen)
                    changed = True
        return changed

    def _audit(self) -> bool:
        """Withhold more wherever the equations together still determine a withheld figure."""
        changed = False
        for cells, equations in self._systems():
            key = tuple(cells)
            if key in self.audited and not self.audited[key]:
                continue  # nothing determined, and no figure of it has been withheld since
            column = {c: i for i, c in enumerate(cells)}
            matrix = np.zeros((len(equations), len(cells)))
            for row, equation in enumerate(equations):
                for cell, k in equation.terms:
                    if cell in column:
                        matrix[row, column[cell]] = k
            self.audited[key] = determined(matrix, cells)
            for cell in self.audited[key]:
                options = (self._candidate(e) for e in sorted(self.by_cell[cell], key=lambda e: (_ORDER[e.kind], len(e.terms))))
                chosen = next((c for c in options if c is not None), None)
                if chosen is not None:
                    self.withheld.add(chosen)
                    changed = True
                elif cell not in self.exposed:
                    self.exposed.add(cell)  # nothing left to withhold: the differences rule treats it as shown
                    changed = True
        return changed

    def _systems(self) -> list[tuple[list[Cell], list[_Equation]]]:
        """The equations that hold unknown figures, in groups that share none (each is solved on its own)."""
        parent: dict[Cell, Cell] = {}

        def root(cell: Cell) -> Cell:
            while parent[cell] != cell:
                parent[cell] = parent[parent[cell]]
                cell = parent[cell]
            return cell

        holding = []
        for equation in self.equations:
            unknown = [c for c, _ in equation.terms if self.unknown(c)]
            if not unknown:
                continue
            holding.append((equation, unknown))
            for cell in unknown:
                parent.setdefault(cell, cell)
            for cell in unknown[1:]:
                parent[root(cell)] = root(unknown[0])
        systems: dict[Cell, tuple[list[Cell], list[_Equation]]] = {}
        for equation, unknown in holding:
            systems.setdefault(root(unknown[0]), ([], []))[1].append(equation)
        for cell in parent:
            systems[root(cell)][0].append(cell)
        return [(sorted(cells), equations) for cells, equations in systems.values()]


def for_release(disclosure: Disclosure, release: Release) -> Disclosure:
    """The disclosure with `withheld` decided for the release (only with --publish): call once per run."""
    if not disclosure.publish:
        return disclosure
    return replace(disclosure, withheld=withheld_cells(release))


def withheld_cells(release: Release) -> frozenset[Cell]:
    """Every figure `--publish` shows as `c`: counts of 1 to 5 and the figures withheld to protect them."""
    return _Suppression(release).run()
