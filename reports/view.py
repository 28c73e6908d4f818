"""The report's content, decided once: what a data steward reads, already disclosed as allowed.

Renderers (HTML, side files) take a ReportView and only lay it out. Every record id and every
count passes through the Disclosure here, so no renderer can show more than the options allow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..disclosure import Disclosure
from ..geography import la_label
from ..model import InputFile, SourceResult
from ..reconcile.intervals import Interval
from ..reconcile.model import Bridge, Comparison, ReconcileResult

ENGLAND = "England"
SAMPLE = 10
STATUS_LABELS = {
    "agree": "Agree",
    "within_tolerance": "Within tolerance",
    "discrepancy": "Discrepancy",
    "not_comparable": "Not comparable",
    "passed": "Passed",
    "failed": "Failed",
    "crashed": "Crashed",
}


@dataclass(frozen=True)
class Sample:
    shown: tuple[str, ...]
    more: int  # how many ids are in the side file but not shown


@dataclass(frozen=True)
class CheckRow:
    check_id: str
    severity: str
    status: str
    status_label: str
    message: str
    count: str
    percent: str
    sample: Sample
    detail: str = ""


@dataclass(frozen=True)
class SourceView:
    name: str
    kind: str
    records: str
    deaths: str
    passed: bool
    checks: tuple[CheckRow, ...]
    passed_checks: int


@dataclass(frozen=True)
class MatrixCell:
    pair: str
    status: str
    status_label: str
    difference: str
    explanation: str


@dataclass(frozen=True)
class MatrixRow:
    period: str
    values: tuple[str, ...]  # one per source, in MeasureMatrix.sources order
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class MeasureMatrix:
    measure: str
    title: str
    sources: tuple[str, ...]
    rows: tuple[MatrixRow, ...]
    elsewhere: tuple[str, ...]  # discrepancies in regions and LAs, as sentences


@dataclass(frozen=True)
class BridgeLine:
    step: str
    description: str
    change: str
    sample: Sample


@dataclass(frozen=True)
class BridgeView:
    heading: str
    source: str
    headline: str
    lines: tuple[BridgeLine, ...]
    harmonised: str
    compared_with: str
    other_value: str
    gap: str  # the other source's value minus this harmonised count
    bars: tuple[tuple[str, float, bool], ...]  # label, value, is_total; empty when counts are suppressed
    chart_alt: str


@dataclass(frozen=True)
class TrendPoint:
    period: str
    x: float
    value: float
    low: float
    high: float
    shown: str


@dataclass(frozen=True)
class TrendView:
    measure: str
    title: str
    series: tuple[tuple[str, tuple[TrendPoint, ...]], ...]
    flag: str
    chart_alt: str


@dataclass(frozen=True)
class UnmatchedRow:
    pair: str
    measure: str
    period: str
    matched: str
    only_left: str
    only_right: str
    shifts: str
    left_sample: Sample
    right_sample: Sample


@dataclass(frozen=True)
class SideFile:
    name: str  # a suffix: check-failures, unmatched
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Provenance:
    run_at: dt.datetime
    reference_date: dt.date | None
    config_name: str
    config_text: str
    files: tuple[tuple[str, InputFile], ...]  # source name, file
    versions: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReportView:
    title: str
    passed: bool
    verdict: tuple[str, ...]
    warnings: tuple[str, ...]
    disclosure: str
    shows_record_ids: bool
    sources: tuple[SourceView, ...]
    matrices: tuple[MeasureMatrix, ...]
    bridges: tuple[BridgeView, ...]
    trends: tuple[TrendView, ...]
    unmatched: tuple[UnmatchedRow, ...]
    notes: tuple[str, ...]
    provenance: Provenance
    side_files: tuple[SideFile, ...] = field(default_factory=tuple)


def interval_text(value: Interval | None, disclosure: Disclosure) -> str:
    if value is None:
        return "not available"
    low, high = value.to_list()
    if high == low:
        return disclosure.count(low)
    if high is None:
        return f"at least {disclosure.count(low)}"
    return f"{disclosure.count(low)} to {disclosure.count(high)}"


def _difference_text(value: Interval | None) -> str:
    if value is None:
        return ""
    low, high = value.to_list()
    if high == low:
        return f"{low:+g}"
    return f"{low:+g} to {high:+g}" if high is not None else f"{low:+g} or more"


def _sample(ids: Sequence[str], disclosure: Disclosure) -> Sample:
    if not disclosure.shows_record_ids:
        return Sample((), 0)
    return Sample(tuple(disclosure.record_id(i) for i in ids[:SAMPLE]), max(0, len(ids) - SAMPLE))


def _percent(part: int, whole: int) -> str:
    if whole <= 0:
        return ""
    share = 100 * part / whole
    return f"{share:.1f}%" if share >= 0.1 or part == 0 else "<0.1%"


def _source_view(source: SourceResult, disclosure: Disclosure) -> SourceView:
    rows = []
    for outcome in sorted(source.outcomes, key=lambda o: (o.status == "passed", o.severity != "error", o.check_id)):
        if outcome.status == "passed":
            continue
        rows.append(
            CheckRow(
                check_id=outcome.check_id,
                severity=outcome.severity,
                status=outcome.status,
                status_label=STATUS_LABELS[outcome.status],
                message=outcome.message,
                count=disclosure.count(outcome.failed),
                percent="" if disclosure.hides(outcome.failed) else _percent(outcome.failed, source.records),
                sample=_sample(outcome.record_ids, disclosure),
                detail=outcome.detail,
            )
        )
    return SourceView(
        name=source.name,
        kind=source.kind,
        records=disclosure.count(source.records),
        deaths=disclosure.count(source.deaths),
        passed=not source.blocks_release,
        checks=tuple(rows),
        passed_checks=sum(1 for o in source.outcomes if o.status == "passed"),
    )


def _pair(comparison: Comparison) -> str:
    return f"{comparison.left} {comparison.relation} {comparison.right}"


def _matrices(result: ReconcileResult, titles: Mapping[str, str], disclosure: Disclosure) -> tuple[MeasureMatrix, ...]:
    out = []
    for measure in dict.fromkeys(c.measure for c in result.comparisons):
        national = [c for c in result.comparisons if c.measure == measure and c.geography == ENGLAND]
        sources = tuple(dict.fromkeys([name for c in national for name in (c.left, c.right)]))
        rows = []
        for period in sorted({c.period for c in national}):
            here = [c for c in national if c.period == period]
            values = []
            for name in sources:
                found = [_side_value(c, name, disclosure) for c in here if name in (c.left, c.right)]
                values.append(found[0] if found else "")
            cells = tuple(
                MatrixCell(
                    _pair(c),
                    c.status,
                    STATUS_LABELS[c.status],
                    "" if _hides_either(c, disclosure) else _difference_text(c.difference),
                    c.explain(disclosure.count),
                )
                for c in here
            )
            rows.append(MatrixRow(here[0].period_label, tuple(values), cells))
        elsewhere = tuple(
            f"{la_label(c.geography)}, {c.period_label}: {c.left} {interval_text(c.left_value, disclosure)} "
            f"{c.relation} {c.right} {interval_text(c.right_value, disclosure)}"
            for c in result.comparisons
            if c.measure == measure and c.geography != ENGLAND and c.failed
        )
        out.append(MeasureMatrix(measure, titles.get(measure, measure), sources, tuple(rows), elsewhere))
    return tuple(out)


def _side_value(comparison: Comparison, name: str, disclosure: Disclosure) -> str:
    """A source's value in a comparison; the right side's own period is named when it differs."""
    if comparison.left == name:
        return interval_text(comparison.left_value, disclosure)
    text = interval_text(comparison.right_value, disclosure)
    if comparison.right_period != comparison.left_period:
        text += f" ({_period_label(comparison.right_period)})"
    return text


def _period_label(iso: str) -> str:
    from ..reconcile.periods import Period

    start, end = (dt.date.fromisoformat(part) for part in iso.split("/"))
    return Period(start, end).label


def _hides_either(comparison: Comparison, disclosure: Disclosure) -> bool:
    """A difference would reveal a suppressed side, so it is not shown when either side is hidden."""
    return any(v is not None and (disclosure.hides(v.low) or disclosure.hides(v.high))
               for v in (comparison.left_value, comparison.right_value))  # fmt: skip


def _signed(change: int, disclosure: Disclosure) -> str:
    if change == 0:
        return "0"
    return ("-" if change < 0 else "+") + disclosure.count(abs(change))


def _bridge_view(comparison: Comparison, bridge: Bridge, other: str, other_value: Interval | None, disclosure: Disclosure,
                 title: str) -> BridgeView:  # fmt: skip
    lines = tuple(
        BridgeLine(s.step, s.description, _signed(-s.count, disclosure), _sample(s.record_ids, disclosure)) for s in bridge.steps
    )
    other_mid = other_value.midpoint if other_value is not None else None
    # The gap is what the other source has beyond this one's harmonised count: the waterfall's last step.
    gap = other_mid - bridge.harmonised if other_mid is not None else None
    counts = [bridge.headline, bridge.harmonised, *(abs(s.count) for s in bridge.steps)]
    if other_value is not None:
        counts += [other_value.low, other_value.high, abs(gap or 0)]
    suppressed = any(disclosure.hides(c) for c in counts)
    bars: tuple[tuple[str, float, bool], ...] = ()
    if not suppressed:
        steps = [(s.step, float(-s.count), False) for s in bridge.steps if s.count]
        bars = (("headline", float(bridge.headline), True), *steps, ("harmonised", float(bridge.harmonised), True))
        if other_mid is not None and gap is not None:
            bars = (*bars, (f"gap to {other}", float(gap), False), (other, float(other_mid), True))
    alt = (
        f"Waterfall: {bridge.source} headline {bridge.headline}, "
        + ", ".join(f"{s.step} {-s.count:+d}" for s in bridge.steps if s.count)
        + f", harmonised {bridge.harmonised}"
        + (f", {other} {interval_text(other_value, disclosure)}" if other_value is not None else "")
    )
    return BridgeView(
        heading=f"{title}, {comparison.period_label}: {bridge.source} against {other}",
        source=bridge.source,
        headline=disclosure.count(bridge.headline),
        lines=lines,
        harmonised=disclosure.count(bridge.harmonised),
        compared_with=other,
        other_value=interval_text(other_value, disclosure),
        gap="" if suppressed and disclosure.publish else _gap_text(gap, disclosure),
        bars=bars if not suppressed else (),
        chart_alt=alt if not suppressed else "",
    )


def _gap_text(gap: float | None, disclosure: Disclosure) -> str:
    if gap is None:
        return ""
    return f"{'-' if gap < 0 else '+'}{disclosure.count(abs(gap))}" if gap else "0"


def _bridges(result: ReconcileResult, titles: Mapping[str, str], disclosure: Disclosure) -> tuple[BridgeView, ...]:
    """One bridge per national discrepancy: the side whose bridge explains more (ties: the left)."""
    out = []
    for comparison in result.discrepancies:
        if comparison.geography != ENGLAND:
            continue
        sides = []
        for source, period, other, other_value in (
            (comparison.left, comparison.left_period, comparison.right, comparison.right_value),
            (comparison.right, comparison.right_period, comparison.left, comparison.left_value),
        ):
            bridge = next(
                (b for b in result.bridges if b.source == source and b.measure == comparison.measure and b.period == period),
                None,
            )
            if bridge is not None:
                sides.append((sum(abs(s.count) for s in bridge.steps), -len(sides), bridge, other, other_value))
        if sides:
            _, _, bridge, other, other_value = max(sides, key=lambda side: (side[0], side[1]))
            out.append(
                _bridge_view(
                    comparison, bridge, other, other_value, disclosure, titles.get(comparison.measure, comparison.measure)
                )
            )
    return tuple(out)


def _rate_text(rate: Interval) -> str:
    low, high = rate.to_list()
    if high == low:
        return f"{low:g}"
    return f"at least {low:g}" if high is None else f"{low:g} to {high:g}"


def _period_middle(iso: str) -> float:
    start, end = (dt.date.fromisoformat(part) for part in iso.split("/"))
    middle = start + (end - start) / 2
    return middle.year + (middle.timetuple().tm_yday - 1) / 365.25


def _trends(result: ReconcileResult, titles: Mapping[str, str], disclosure: Disclosure) -> tuple[TrendView, ...]:
    out = []
    for measure in dict.fromkeys(p.measure for p in result.series):
        by_source: dict[str, list[TrendPoint]] = {}
        for p in result.series:
            if p.measure != measure or p.per_12_months is None:
                continue
            if p.value is not None and (disclosure.hides(p.value.low) or disclosure.hides(p.value.high)):
                continue  # a suppressed count cannot be drawn, nor shown as a rate that reveals it
            rate = p.per_12_months
            high = rate.high if rate.high != float("inf") else rate.low
            shown = interval_text(rate, disclosure) if p.value is None or not disclosure.publish else _rate_text(rate)
            by_source.setdefault(p.source, []).append(
                TrendPoint(p.period_label, _period_middle(p.period), (rate.low + high) / 2, rate.low, high, shown)
            )
        series = tuple(
            (name, tuple(sorted(points, key=lambda point: point.x))) for name, points in by_source.items() if len(points) >= 2
        )
        if not series:
            continue
        flag = next((t for t in result.trends if t.measure == measure), None)
        sentence = ""
        if flag is not None:
            sentence = (
                f"Over the years both cover, {flag.sources[0]} went {flag.directions[0]} ({flag.spans[0]}) and {flag.sources[1]} went "
                f"{flag.directions[1]} ({flag.spans[1]}), per 12 months" + (": opposite directions." if flag.opposite else ".")
            )
        alt = "; ".join(f"{name}: " + ", ".join(f"{p.period} {p.shown}" for p in points) for name, points in series)
        out.append(TrendView(measure, titles.get(measure, measure), series, sentence, f"Deaths per 12 months. {alt}"))
    return tuple(out)


def _unmatched(result: ReconcileResult, disclosure: Disclosure) -> tuple[UnmatchedRow, ...]:
    rows = []
    for u in result.unmatched:
        if not (u.only_left or u.only_right or u.period_shifts):
            continue
        rows.append(
            UnmatchedRow(
                pair=f"{u.left} / {u.right}",
                measure=u.measure,
                period=u.period_label,
                matched=disclosure.count(u.matched),
                only_left=disclosure.count(len(u.only_left)),
                only_right=disclosure.count(len(u.only_right)),
                shifts=disclosure.count(len(u.period_shifts)),
                left_sample=_sample(u.only_left, disclosure),
                right_sample=_sample(u.only_right, disclosure),
            )
        )
    return tuple(rows)


def _verdict(sources: Sequence[SourceResult], result: ReconcileResult | None, titles: Mapping[str, str],
             disclosure: Disclosure, checks_gate: bool) -> tuple[list[str], list[str]]:  # fmt: skip
    failures: list[str] = []
    warnings: list[str] = []
    for source in sources:
        crashed = [o.check_id for o in source.outcomes if o.crashed]
        errors = [o for o in source.outcomes if not o.crashed and o.failed and o.severity == "error"]
        warned = [o for o in source.outcomes if not o.crashed and o.failed and o.severity != "error"]
        if crashed:
            failures.append(
                f"{source.name}: {_listed(crashed)} crashed, so {'its result' if len(crashed) == 1 else 'their results'} cannot be trusted."
            )
        if errors:
            failures.append(
                f"{source.name}: {len(errors)} checks fail at error severity: "
                + _listed([f"{o.check_id} ({disclosure.count(o.failed)})" for o in errors])
                + "."
            )
        if warned:
            warnings.append(f"{source.name}: " + _listed([f"{o.check_id} ({disclosure.count(o.failed)})" for o in warned]) + ".")
    disagreements: list[str] = []
    if result is not None:
        for c in result.discrepancies:
            if c.geography != ENGLAND:
                continue
            gap = "" if _hides_either(c, disclosure) else _gap_words(c.difference)
            sentence = f"{c.left} and {c.right} disagree on {titles.get(c.measure, c.measure).lower()} in {c.period_label}{gap}"
            sentence += (
                f" ({c.left} {interval_text(c.left_value, disclosure)}, {c.right} {interval_text(c.right_value, disclosure)};"
                f" expected {c.left} {c.relation} {c.right})"
            )
            explained = c.explain(disclosure.count)
            disagreements.append(sentence + (f"; {explained}." if explained else "."))
        local = [c for c in result.discrepancies if c.geography != ENGLAND]
        if local:
            places = len({(c.geography, c.measure, c.period) for c in local})
            disagreements.append(
                f"{places} regional or local authority comparisons show a discrepancy (listed under each measure)."
            )
        for trend in result.trends:
            if trend.opposite:
                warnings.append(
                    f"{titles.get(trend.measure, trend.measure)}: {trend.sources[0]} went {trend.directions[0]} while "
                    f"{trend.sources[1]} went {trend.directions[1]} over the years both cover."
                )
        for check in result.coherence:
            if not check.coherent:
                warnings.append(
                    f"{check.source}: the {check.parts} figures for {check.measure} in {_period_label(check.period)} "
                    f"do not add up to {la_label(check.geography)}'s."
                )
    if not checks_gate:
        # `reconcile` gates on comparisons only; the sources' own failures are reported, not gating.
        warnings = [f"{line} (not gated by `reconcile`; `triangulate run` gates on it)" for line in failures] + warnings
        failures = []
    # A steward reads the disagreements between sources first, then each source's own failures.
    return disagreements + failures, warnings


def _listed(items: Sequence[str]) -> str:
    return ", ".join(items)


def _gap_words(difference: Interval | None) -> str:
    if difference is None:
        return ""
    low, high = difference.to_list()
    if high == low:
        return f" by {abs(low):g}"
    if high is None:
        return f" by at least {abs(low):g}"
    lo, hi = sorted((abs(low), abs(high)))
    return f" by {lo:g} to {hi:g}" if not (low < 0 < high) else ""


def _side_files(sources: Sequence[SourceResult], result: ReconcileResult | None, disclosure: Disclosure) -> tuple[SideFile, ...]:
    if not disclosure.shows_record_ids:
        return ()
    checks = tuple(
        (s.name, o.check_id, o.severity, disclosure.record_id(record_id))
        for s in sources
        for o in s.outcomes
        for record_id in o.record_ids
    )
    files = [SideFile("check-failures", ("source", "check_id", "severity", "record_id"), checks)]
    if result is not None:
        rows: list[tuple[str, ...]] = []
        for u in result.unmatched:
            rows += [
                (u.measure, u.period, u.left, u.right, f"only in {u.left}", disclosure.record_id(i), "") for i in u.only_left
            ]
            rows += [
                (u.measure, u.period, u.left, u.right, f"only in {u.right}", disclosure.record_id(i), "") for i in u.only_right
            ]
            rows += [
                (
                    u.measure,
                    u.period,
                    u.left,
                    u.right,
                    "period shift",
                    disclosure.record_id(p.left_id),
                    disclosure.record_id(p.right_id),
                )
                for p in u.period_shifts
            ]
        files.append(
            SideFile("unmatched", ("measure", "period", "left", "right", "finding", "record_id", "linked_record_id"), tuple(rows))
        )
    return tuple(files)


def build_report_view(
    sources: Sequence[SourceResult],
    result: ReconcileResult | None,
    provenance: Provenance,
    disclosure: Disclosure,
    titles: Mapping[str, str],
    checks_gate: bool = True,
) -> ReportView:
    """`checks_gate` False: the verdict follows the comparisons only, as `reconcile`'s exit code does."""
    failures, warnings = _verdict(sources, result, titles, disclosure, checks_gate)
    empty = ReconcileResult()
    passed = (not checks_gate or not any(s.blocks_release for s in sources)) and (result is None or result.passed)
    return ReportView(
        title="Triangulate discrepancy report" if result is not None else "Triangulate source checks",
        passed=passed,
        verdict=tuple(failures),
        warnings=tuple(warnings),
        disclosure=disclosure.label,
        shows_record_ids=disclosure.shows_record_ids,
        sources=tuple(_source_view(s, disclosure) for s in sources),
        matrices=_matrices(result or empty, titles, disclosure),
        bridges=_bridges(result or empty, titles, disclosure),
        trends=_trends(result or empty, titles, disclosure),
        unmatched=_unmatched(result or empty, disclosure),
        notes=tuple((result or empty).notes),
        provenance=provenance,
        side_files=_side_files(sources, result, disclosure),
    )
