"""Nothing configured goes unmentioned: each configured source that no measure's comparison compares with another.

A run may check a source alone, so this is a note and never a failure; but a source that was read, checked and then
compared with nothing must be said (issue 23), never left to a PASS that reads as if it had been compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..canonical.registry import DENOMINATOR
from ..model.reconciliation import Comparison, EmptyComparison, NotCompared
from .measures import Measure, selected_sources, sources_named


def not_compared(measures: Sequence[Measure], kinds: Mapping[str, str], comparisons: Iterable[Comparison] = (),
                 empty: Iterable[EmptyComparison] = ()) -> tuple[NotCompared, ...]:  # fmt: skip
    """Each configured record source and published table (denominators are read for rates, never compared) that is in
    no comparison and no empty comparison (that one is reported already), in config order, with why in words.

    `comparisons` and `empty` are what the measure loop found: a pair the measures ask for whose source gave no
    figures (a published filter that selects nothing, for the shipped measures) compared nothing and is said too."""
    found = {name for c in (*comparisons, *empty) for name in (c.left, c.right)}
    out = []
    for name, kind in kinds.items():
        if kind == DENOMINATOR or name in found:
            continue
        out.append(NotCompared(name, _reason(name, kind, measures, kinds)))
    return tuple(out)


def _reason(name: str, kind: str, measures: Sequence[Measure], kinds: Mapping[str, str]) -> str:
    selecting = [m for m in measures if name in selected_sources(m, kinds)]
    if not selecting:
        return f"no measure selects it (kind {kind})"
    alone: list[str] = []  # measures that select it and pair it with nothing
    paired: dict[str, list[str]] = {}  # measure -> the sources it would compare it with, had they all given figures
    for measure in selecting:
        partners = _partners(name, measure, kinds)
        if partners:
            paired[measure.id] = partners
        else:
            alone.append(measure.id)
    parts = []
    if alone:
        many = len(alone) > 1
        parts.append(f"{_measures(alone)} {'select' if many else 'selects'} it but {'compare' if many else 'compares'} "
                     f"it with no other source{_trend(name, [m for m in selecting if m.id in alone], kinds)}")  # fmt: skip
    for measure_id, partners in paired.items():  # a source gave no figures for the measure: the notes say which and why
        nothing = "the two gave nothing to compare" if len(partners) == 1 else "none of these pairs gave anything to compare"
        parts.append(f"measure {measure_id} would compare it with {_listed(partners)}, but {nothing} (see the notes)")
    return "; ".join(parts)


def _partners(name: str, measure: Measure, kinds: Mapping[str, str]) -> list[str]:
    """The other selected sources a measure's compares pair `name` with, as the engine's loop over `compare` does."""
    selected = selected_sources(measure, kinds)
    partners: list[str] = []
    for spec in measure.compare:
        lefts = [n for n in sources_named(spec.left, kinds) if n in selected]
        rights = [n for n in sources_named(spec.right, kinds) if n in selected]
        for mine, others in ((lefts, rights), (rights, lefts)):
            if name in mine:
                partners += [other for other in others if other != name and other not in partners]
    return partners


def _trend(name: str, measures: Sequence[Measure], kinds: Mapping[str, str]) -> str:
    """A trend sets two sources' directions side by side (reconcile/trends.py, the first source of each side), which
    informs but compares no counts: said, so that the reason does not read as if the measure ignored the source."""
    beside: list[str] = []
    for measure in measures:
        if len(measure.trend) != 2:
            continue
        for wanted, against in (measure.trend, measure.trend[::-1]):
            mine, others = sources_named(wanted, kinds), sources_named(against, kinds)
            if mine[:1] == [name] and others and others[0] != name and others[0] not in beside:
                beside.append(others[0])
    return f" (only its trend is set beside {_listed(beside)}'s)" if beside else ""


def _measures(ids: list[str]) -> str:
    return f"measure {ids[0]}" if len(ids) == 1 else f"measures {_listed(ids)}"


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
