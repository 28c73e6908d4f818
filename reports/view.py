"""The report's content, decided once, from a release already disclosed as the options allow.

Renderers (HTML, side files) take a ReportView and only lay it out. Record ids arrive already
hashed or withheld (reports/disclosure.py); counts pass through the Disclosure here, so no
renderer can show more than the options allow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.geography import ENGLAND, la_label
from ..domain.intervals import Interval
from ..model.checks import CheckOutcome, SourceResult
from ..model.reconciliation import Bridge, Comparison, ReconcileResult
from ..model.release import Release
from .disclosure import Disclosure
from .figures import coherence_rows, contrast_sentences, rate_rows, release_charts, since_sentences
from .verdict import verdict
from .view_model import (
    STATUS_LABELS,
    BridgeLine,
    BridgeView,
    CheckRow,
    MatrixCell,
    MatrixRow,
    MeasureMatrix,
    ReportView,
    Sample,
    SideFile,
    SourceView,
    TrendPoint,
    TrendView,
    UnmatchedRow,
)
from .wording import (
    difference_text,
    gap_text,
    hides_either,
    interval_text,
    percent,
    period_label,
    period_middle,
    rate_text,
    signed,
)

SAMPLE = 10


def _sample(ids: Sequence[str], disclosure: Disclosure) -> Sample:
    if not disclosure.shows_record_ids:
        return Sample((), 0)
    return Sample(tuple(i for i in ids[:SAMPLE]), max(0, len(ids) - SAMPLE))


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
                count="" if outcome.status == "not_run" else disclosure.count(outcome.failed),
                percent=_share(outcome, source, disclosure),
                sample=_sample(outcome.record_ids, disclosure),
                detail=outcome.not_run or outcome.detail,
            )
        )
    return SourceView(
        name=source.name,
        kind=source.kind,
        records=disclosure.count(source.records),
        deaths=disclosure.count(source.deaths),
        published=source.published,
        passed=not source.blocks_release,
        checks=tuple(rows),
        passed_checks=sum(1 for o in source.outcomes if o.status == "passed"),
    )


_BASES = {"death": "deaths", "record": "records", "cell": "rows"}


def _share(outcome: CheckOutcome, source: SourceResult, disclosure: Disclosure) -> str:
    """The failing share, of the source's deaths for a death-level check and of its records otherwise, saying which."""
    if outcome.status == "not_run" or disclosure.hides(outcome.failed):
        return ""
    share = percent(outcome.failed, source.base(outcome))
    return f"{share} of {_BASES[outcome.level]}" if share else ""


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
                    "" if hides_either(c, disclosure) else difference_text(c.difference),
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
        text += f" ({period_label(comparison.right_period)})"
    return text


def _bridge_view(comparison: Comparison, bridge: Bridge, other: str, other_value: Interval | None, disclosure: Disclosure,
                 title: str) -> BridgeView:  # fmt: skip
    lines = tuple(
        BridgeLine(s.step, s.description, signed(-s.count, disclosure), _sample(s.record_ids, disclosure)) for s in bridge.steps
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
        gap="" if suppressed and disclosure.publish else gap_text(gap, disclosure),
        bars=bars if not suppressed else (),
        chart_alt=alt if not suppressed else "",
    )


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
            shown = interval_text(rate, disclosure) if p.value is None or not disclosure.publish else rate_text(rate)
            by_source.setdefault(p.source, []).append(
                TrendPoint(p.period_label, period_middle(p.period), (rate.low + high) / 2, rate.low, high, shown)
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
        only_left, only_right, shifts = u.counts
        if not (only_left or only_right or shifts):
            continue
        rows.append(
            UnmatchedRow(
                pair=f"{u.left} / {u.right}",
                measure=u.measure,
                period=u.period_label,
                matched=disclosure.count(u.matched),
                only_left=disclosure.count(only_left),
                only_right=disclosure.count(only_right),
                shifts=disclosure.count(shifts),
                left_sample=_sample(u.only_left, disclosure),
                right_sample=_sample(u.only_right, disclosure),
            )
        )
    return tuple(rows)


def _side_files(sources: Sequence[SourceResult], result: ReconcileResult | None, disclosure: Disclosure) -> tuple[SideFile, ...]:
    if not disclosure.shows_record_ids:
        return ()
    checks = tuple(
        (s.name, o.check_id, o.severity, record_id)
        for s in sources
        for o in s.outcomes
        for record_id in o.record_ids
    )
    files = [SideFile("check-failures", ("source", "check_id", "severity", "record_id"), checks)]
    if result is not None:
        rows: list[tuple[str, ...]] = []
        for u in result.unmatched:
            rows += [
                (u.measure, u.period, u.left, u.right, f"only in {u.left}", i, "") for i in u.only_left
            ]
            rows += [
                (u.measure, u.period, u.left, u.right, f"only in {u.right}", i, "") for i in u.only_right
            ]
            rows += [
                (
                    u.measure,
                    u.period,
                    u.left,
                    u.right,
                    "period shift",
                    p.left_id,
                    p.right_id,
                )
                for p in u.period_shifts
            ]
        files.append(
            SideFile("unmatched", ("measure", "period", "left", "right", "finding", "record_id", "linked_record_id"), tuple(rows))
        )
    return tuple(files)


def build_report_view(release: Release, disclosure: Disclosure) -> ReportView:
    """`release` is already disclosed (reports/disclosure.py); its gate decides the headline."""
    sources, result, titles = release.sources, release.reconciliation, release.titles
    failures, warnings = verdict(release, disclosure)
    empty = ReconcileResult()
    return ReportView(
        title="Triangulate discrepancy report" if result is not None else "Triangulate source checks",
        passed=release.passed,
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
        provenance=release.provenance,
        side_files=_side_files(sources, result, disclosure),
        headlines=contrast_sentences(result or empty, titles, disclosure),
        incoherent=coherence_rows(result or empty, disclosure),
        rates=rate_rows(result or empty, disclosure),
        since=since_sentences(release.since, disclosure),
        release_charts=release_charts(release.since, titles, disclosure),
    )
