"""View builders for published-figure sections: coherence of parts and wholes, rates and their contrasts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..domain.cells import in_words
from ..domain.geography import ENGLAND, ENGLAND_CODE, la_label, place_of
from ..domain.intervals import Interval
from ..model.changes import Changes
from ..model.rates import Contrast, Rate
from ..model.reconciliation import ReconcileResult
from .disclosure import Cell, Disclosure
from .view_model import CoherenceRow, RateRow
from .wording import (
    count_words,
    figure_text,
    interval_bounds_text,
    interval_text,
    period_label,
    rate_ci_text,
    rate_per_text,
    ratio_number,
)


@dataclass(frozen=True)
class CoherenceFinding(CoherenceRow):
    """A whole against its parts: failed (`published.incoherent`), or passed a test that could go one way only."""

    failed: bool = True
    partial_reason: str = ""  # why the test was one-sided, and what declaration would make it two-sided


def coherence_rows(result: ReconcileResult, disclosure: Disclosure) -> tuple[CoherenceFinding, ...]:
    """Every whole whose published parts cannot add up to it, then every whole tested one way only (a part with no
    upper bound), with both numbers: a partial test is never shown as a plain pass."""
    return tuple(
        CoherenceFinding(
            source=c.source,
            measure=c.measure,
            period=c.period_label,
            place=la_label(c.geography),
            parts=f"{in_words(c.parts_count)} {c.parts}",
            whole=figure_text(c.total, disclosure, Cell(c.source, c.measure, c.period, c.geography)),
            sum_of_parts=interval_text(c.sum_of_parts, disclosure),
            location=c.location,
            failed=not c.coherent,
            partial_reason=c.partial_reason if c.partial else "",
        )
        for c in sorted(result.coherence, key=lambda c: c.coherent)
        if not c.coherent or c.partial
    )


def _rate_words(rate: Rate) -> str:
    """`31.3 per 100,000 (95% CI 30.3 to 32.4)`: the digits every output shows (`wording.rate_number`)."""
    return f"{rate_per_text(rate.rate, rate.per)} ({rate_ci_text(rate.rate_ci)})"


def rate_rows(result: ReconcileResult, disclosure: Disclosure) -> tuple[RateRow, ...]:
    rows = []
    for rate in result.rates:
        cell = Cell(rate.source, rate.measure, rate.period, rate.geography)
        hidden = disclosure.hides_value(cell, rate.count)
        rows.append(
            RateRow(
                measure=rate.measure,
                source=rate.source,
                period=rate.period_label,
                place=la_label(rate.geography),
                count=figure_text(rate.count, disclosure, cell),
                population=f"{rate.denominator:,.0f} ({rate.denominator_label or rate.denominator_period})",
                rate="" if hidden else _rate_words(rate),
            )
        )
    return tuple(rows)


def contrast_sentences(result: ReconcileResult, titles: Mapping[str, str], disclosure: Disclosure) -> tuple[str, ...]:
    """The headline comparisons of rates, e.g. children in need died at 7.2 times the rate of all children."""
    rates = {(r.measure, r.source, r.period, r.geography): r for r in result.rates}
    out = []
    for contrast in result.contrasts:
        left = rates.get((contrast.measure, contrast.left, contrast.period, contrast.geography))
        right = rates.get((contrast.measure, contrast.right, contrast.period, contrast.geography))
        if left is None or right is None or any(
            disclosure.hides_value(Cell(r.source, r.measure, r.period, r.geography), r.count) for r in (left, right)
        ):
            continue
        out.append(_contrast_words(contrast, left, right, titles))
    return tuple(out)


def _contrast_words(contrast: Contrast, left: Rate, right: Rate, titles: Mapping[str, str]) -> str:
    ratio = contrast.rate_ratio
    times = ratio_number(ratio.low) if ratio.is_exact else f"{ratio_number(ratio.low)} to {ratio_number(ratio.high)}"
    return (
        f"{titles.get(contrast.measure, contrast.measure)}, {la_label(contrast.geography)} {contrast.period_label}: "
        f"{contrast.left} {_rate_words(left)} against {contrast.right} {_rate_words(right)}; "
        f"{times} times the rate (95% CI {interval_bounds_text(*contrast.rate_ratio_ci, ratio_number)})."
    )


def since_sentences(since: Changes | None, disclosure: Disclosure, names: Mapping[str, str]) -> tuple[str, ...]:
    """What changed since the last release, in a few sentences: failures new and fixed, comparisons that moved,
    published figures revised (from the run history, which keys sources by id; `names` gives this run's names)."""
    if since is None:
        return ()

    def named(source_id: str) -> str:
        return names.get(source_id, source_id)

    lines = [f"Compared with run {since.older.run_id} of release {since.older.release}."]
    for change, words in (("new", "Newly failing"), ("worse", "Failing more"), ("fixed", "Fixed"), ("better", "Failing less")):
        found = [c for c in since.checks if c.change == change]
        if found:
            lines.append(f"{words}: " + ", ".join(
                f"{named(c.source)} {c.check_id} ({_count(c.old_failed, disclosure)} → {_count(c.new_failed, disclosure)})" for c in found
            ) + ".")  # fmt: skip
    national = [c for c in since.comparisons if c.series.geography == ENGLAND_CODE]
    for c in national:
        lines.append(f"{c.series.measure} {period_label(c.period)}, {named(c.series.left)} against {named(c.series.right)}: {_status(c.old_status)} → "
                     f"{_status(c.new_status)}.")  # fmt: skip
    if len(since.comparisons) > len(national):
        lines.append(count_words(len(since.comparisons) - len(national), "regional or local authority comparison changed status.",
                                 "regional or local authority comparisons changed status."))  # fmt: skip
    for p in since.published:
        lines.append(f"{named(p.source)} revised {p.measure} for {place_of(p.geography)}, {period_label(p.period)}: {_bounds(p.old, disclosure)} → "
                     f"{_bounds(p.new, disclosure)}" + (" (beyond tolerance)." if p.beyond_tolerance else "."))  # fmt: skip
    if since.acknowledged:
        lines.append("Newly acknowledged: " + "; ".join(
            f"{a.key} ({a.reason}; {a.owner}, until {a.expires or 'no expiry'})" for a in since.acknowledged) + ".")  # fmt: skip
    if since.no_longer_acknowledged:
        lines.append("No longer acknowledged: " + ", ".join(f"{a.key} ({a.status})" for a in since.no_longer_acknowledged) + ".")
    if len(lines) == 1:
        lines.append("Nothing changed.")
    return tuple(lines)


def _status(status: str | None) -> str:
    return (status or "not compared").replace("_", " ")


def _count(value: int | None, disclosure: Disclosure) -> str:
    return "-" if value is None else disclosure.count(value)


def _bounds(value: Interval | None, disclosure: Disclosure) -> str:
    return "not available" if value is None else interval_text(value, disclosure)


ReleaseChart = tuple[str, tuple[tuple[str, tuple[tuple[float, float, float, float], ...]], ...], tuple[str, ...]]


def release_charts(since: Changes | None, titles: Mapping[str, str], disclosure: Disclosure,
                   names: Mapping[str, str]) -> tuple[ReleaseChart, ...]:  # fmt: skip
    """Per measure, each source's figure (per 12 months, its latest period) in every release the history holds.
    The history keys sources by id; `names` maps an id to its name in this run, whose withheld cells stay withheld."""
    points = since.across_releases if since is not None else ()
    releases = tuple(dict.fromkeys(p.release for p in sorted(points, key=lambda p: p.run_id)))
    if len(releases) < 2:
        return ()
    charts = []
    for measure in dict.fromkeys(p.measure for p in points):
        lines: dict[str, list[tuple[float, float, float, float]]] = {}
        for p in points:
            value = p.per_12_months
            if p.measure != measure or value is None or disclosure.hides(value.low) or (not math.isinf(value.high) and disclosure.hides(value.high)):
                continue
            if disclosure.hides_cell(Cell(names.get(p.source, p.source), p.measure, p.period, ENGLAND)):
                continue  # withheld in this release: not drawn in any release either
            low, top = value.low, (value.high if not math.isinf(value.high) else value.low)
            lines.setdefault(p.source, []).append((float(releases.index(p.release)), (low + top) / 2, low, top))
        series = tuple((name, tuple(sorted(found))) for name, found in lines.items())
        if series:
            charts.append((titles.get(measure, measure), series, releases))
    return tuple(charts)
