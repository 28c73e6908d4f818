"""The report's content, decided once, from a release already disclosed as the options allow.

Renderers (HTML, side files) take a ReportView and only lay it out. Record ids arrive already
hashed or withheld (reports/disclosure.py); every figure for a source, measure, period and place passes
through the Disclosure with its cell here (or in the view modules this one calls), so no renderer can show
more than the options allow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from markupsafe import Markup

from ..canonical.registry import kind_display, source_display
from ..domain.geography import ENGLAND, la_label
from ..domain.intervals import SUPPRESSED, Interval
from ..domain.periods import Period
from ..domain.status import Status
from ..model.anomalies import FunnelPoint, LaFunnel, level_key, level_text
from ..model.checks import CheckOutcome, SourceResult
from ..model.reconciliation import ReconcileResult, SeriesPoint
from ..model.release import Release
from .acknowledgements_view import STATUS_WORDS, acknowledgements_view, settled
from .bridges_view import bridge_tables, explained
from .briefing import briefing
from .charts import FunnelChart, FunnelLimit, FunnelMark, funnel_svg, source_styles
from .disclosure import Cell, Disclosure, funnel_points_hidden
from .figures import coherence_rows, contrast_sentences, rate_rows, release_charts, since_sentences
from .gaps import gap_label, gap_sentence, ordered_gaps
from .glossary import glossary, glossary_anchor
from .grids import grid_side_file, measure_grids, measure_ids
from .linkage_view import sample, unmatched_view
from .series_view import unusual_view
from .verdict import verdict
from .view_model import (
    STATUS_LABELS,
    CheckGridRow,
    CheckRow,
    FunnelRow,
    FunnelView,
    GridCell,
    GridRow,
    MeasureGrid,
    ReportView,
    SideFile,
    SourceView,
    TrendPoint,
    TrendView,
)
from .wording import count_words, percent, period_label, period_middle, rate_number, rate_text, ratio_number


def _source_view(source: SourceResult, disclosure: Disclosure) -> SourceView:
    rows = []
    for outcome in sorted(source.outcomes, key=lambda o: (o.status == Status.PASSED, not o.blocks_release, o.check_id)):
        if outcome.status == Status.PASSED:
            continue
        rows.append(
            CheckRow(
                check_id=outcome.check_id,
                severity=outcome.severity,
                status="acknowledged" if settled(outcome) else outcome.status,  # the badge's colour
                status_label=STATUS_LABELS[outcome.status] + _standing(outcome),
                message=outcome.message,
                count="" if outcome.status == Status.NOT_RUN else disclosure.failures(outcome.level, outcome.failed),
                percent=_share(outcome, source, disclosure),
                sample=sample(outcome.record_ids, disclosure),
                detail=outcome.not_run or outcome.detail,
            )
        )
    return SourceView(
        name=source.name,
        kind=source.kind,
        records=f"{source.records:,}" if source.published else disclosure.count(source.records),  # rows: not people
        deaths=disclosure.total(source.name, source.deaths),
        published=source.published,
        passed=not source.blocks_release,
        checks=tuple(rows),
        passed_checks=sum(1 for o in source.outcomes if o.status == Status.PASSED),
        kind_label=kind_display(source.kind),
        label=source_display(source.name, source.kind),
    )


def _standing(outcome: CheckOutcome) -> str:
    """` (acknowledged)`, ` (evidence changed)`, ` (expired)`: a check's acknowledgement where it met one (a crash is
    never acknowledged: it blocks whatever its entry says)."""
    standing = outcome.acknowledgement
    if standing is None or (standing.settles and not settled(outcome)):
        return ""
    return f" ({STATUS_WORDS[standing.status].lower()})"


def _gap_rows(result: ReconcileResult, disclosure: Disclosure) -> tuple[tuple[str, str], ...]:
    """Deaths one source has and another lacks (reports/gaps.py), an acknowledged one marked so."""
    return tuple((gap_label(gap) + (" (acknowledged)" if settled(gap) else ""), gap_sentence(gap, disclosure))
                 for gap in ordered_gaps(result))  # fmt: skip


_BASES = {"death": "deaths", "record": "records", "cell": "rows"}


def _share(outcome: CheckOutcome, source: SourceResult, disclosure: Disclosure) -> str:
    """The failing share, of the source's deaths for a death-level check and of its records otherwise, saying which."""
    if outcome.status == Status.NOT_RUN or disclosure.hides(outcome.failed):
        return ""
    share = percent(outcome.failed, source.base(outcome))
    return f"{share} of {_BASES[outcome.level]}" if share else ""


def _check_grid(sources: Sequence[SourceResult], disclosure: Disclosure) -> tuple[tuple[str, ...], tuple[CheckGridRow, ...]]:
    """Every check that did not pass, as a check x source table of failing counts (the detail is per source below)."""
    shown = [s for s in sources if any(o.status != Status.PASSED for o in s.outcomes)]
    ids = sorted({o.check_id for s in shown for o in s.outcomes if o.status != Status.PASSED})
    rows = []
    for check_id in ids:
        counts = []
        severities = set()
        for source in shown:
            outcome = source.outcome(check_id)
            if outcome is None or outcome.status == Status.PASSED:
                counts.append("")
                continue
            severities.add(outcome.severity)
            if outcome.status in (Status.CRASHED, Status.NOT_RUN):
                counts.append(STATUS_LABELS[outcome.status].lower())
            else:  # a failure that does not block (the model's rule) is marked, as the note under the table says
                note = " (acknowledged)" if settled(outcome) else "" if outcome.blocks_release else " (warning)"
                counts.append(disclosure.failures(outcome.level, outcome.failed) + note)
        rows.append(CheckGridRow(check_id, glossary_anchor(check_id), "/".join(sorted(severities)), tuple(counts)))
    return tuple(s.name for s in shown), tuple(rows)


def _trends(release: Release, disclosure: Disclosure, palette: Sequence[str]) -> tuple[TrendView, ...]:
    """Per measure, every source's national figure per 12 months: a single period is a point, never dropped."""
    result = release.reconciliation
    if result is None:
        return ()
    rank = {name: i for i, name in enumerate(palette)}
    out = []
    for measure in measure_ids(release):
        points = [p for p in result.series if p.measure == measure and p.per_12_months is not None]
        by_source: dict[str, list[TrendPoint]] = {}
        for p in sorted(points, key=lambda p: (rank.get(p.source, 99), p.period)):
            if disclosure.hides_value(Cell(p.source, measure, p.period, ENGLAND), p.value):
                continue  # a withheld count is not drawn, nor shown as a rate that reveals it
            rate = p.per_12_months
            high = rate.high if rate.high != float("inf") else rate.low
            shown = rate_text(rate) if p.value is not None else ""
            by_source.setdefault(p.source, []).append(
                TrendPoint(p.period_label, period_middle(p.period), (rate.low + high) / 2, rate.low, high, shown)
            )
        if not by_source:
            continue
        series = tuple((name, tuple(sorted(found, key=lambda point: point.x))) for name, found in by_source.items())
        periods = sorted({p.period for p in points})
        ticks = tuple((period_middle(period), period_label(period)) for period in periods)
        flag = next((t for t in result.trends if t.measure == measure), None)
        sentence = ""
        if flag is not None:
            sentence = (
                f"Over the years both cover, {flag.sources[0]} went {flag.directions[0]} ({flag.spans[0]}) and {flag.sources[1]} went "
                f"{flag.directions[1]} ({flag.spans[1]}), per 12 months" + (": opposite directions." if flag.opposite else ".")
            )
        alt = "; ".join(f"{name}: " + ", ".join(f"{p.period} {p.shown}" for p in found) for name, found in series)
        per_12 = _per_12_rows(points, [name for name, _ in series], disclosure)
        title = release.titles.get(measure, measure)
        out.append(TrendView(measure, title, series, sentence, f"{title}, deaths per 12 months. {alt}", ticks, per_12,
                             tuple(name for name, _ in series)))  # fmt: skip
    return tuple(out)


def _per_12_rows(points: Sequence[SeriesPoint], sources: Sequence[str], disclosure: Disclosure) -> tuple[GridRow, ...]:
    """Values per 12 months as a period x source table, only when some period is not 12 months long."""
    if all(Period.from_iso(p.period).months == 12 for p in points):
        return ()
    found = {(p.source, p.period): p for p in points}
    rows = []
    for period in sorted({p.period for p in points}):
        cells = []
        for source in sources:
            p = found.get((source, period))
            hidden = p is not None and disclosure.hides_value(Cell(source, p.measure, period, ENGLAND), p.value)
            cells.append(GridCell("" if p is None or p.per_12_months is None else "c" if hidden else rate_text(p.per_12_months)))
        rows.append(GridRow(period_label(period), tuple(cells)))
    return tuple(rows)


def _funnel(found: LaFunnel, title: str, disclosure: Disclosure) -> FunnelView:
    """A funnel's chart and table. A withheld count (small, or withheld so that none can be worked out) is neither drawn
    nor placed: its rate and where it falls would give it away; it keeps its row, sorted among those within the limits."""
    funnel, ratio = found.funnel, " / " in found.source
    number = ratio_number if ratio else rate_number
    ordered_levels = sorted(funnel.levels) or [0.998]  # narrowest first: the last is the widest
    levels = tuple(level_text(level) for level in ordered_levels)
    keys = [level_key(level) for level in ordered_levels]
    rows: list[tuple[int, str, FunnelRow]] = []
    marks: list[FunnelMark] = []
    drawn: list[FunnelPoint] = []  # the sizes the limit lines pass through (not a withheld second count)
    for point in funnel.points:
        cell = Cell(found.source, found.measure, found.period, point.geography)
        hidden = disclosure.hides_value(cell, Interval.exact(point.count))
        small_base = ratio and disclosure.hides(point.denominator)  # a ratio's denominator is the other source's count
        hidden = hidden or small_base
        limits = tuple(SUPPRESSED if small_base else _bounds(*point.limits[key], number) for key in keys if key in point.limits)
        outside = f"outside {levels[keys.index(point.outside)]}" if point.outside in keys else f"within {levels[0]}"
        rank = keys.index(point.outside) + 1 if point.outside in keys and not hidden else 0
        rows.append((-rank, la_label(point.geography), FunnelRow(
            la_label(point.geography),
            SUPPRESSED if hidden else Disclosure().count(point.count),
            SUPPRESSED if small_base else f"{point.denominator:,.0f}",
            SUPPRESSED if hidden or not math.isfinite(point.rate) else number(point.rate),
            limits, SUPPRESSED if hidden else outside)))  # fmt: skip
        drawn += [] if small_base else [point]
        if not hidden:
            widest = point.outside is not None and point.outside == keys[-1]
            marks.append(FunnelMark(la_label(point.geography) if widest else "", point.denominator, point.rate, point.outside))
    unit = "ratio of counts" if ratio else f"per {found.per:,.0f}"
    lines = tuple(FunnelLimit(label, tuple(sorted((p.denominator, *p.limits[key]) for p in drawn if key in p.limits)))
                  for label, key in zip(levels, keys, strict=True))  # fmt: skip
    heading = f"{title}, {found.source}, {found.period_label}"
    chart = FunnelChart(heading, funnel.centre, lines, tuple(marks), "count of the second source" if ratio else "population",
                        "ratio" if ratio else f"rate {unit}")  # fmt: skip
    named = [m.label for m in marks if m.label]
    alt = (f"Funnel plot of {heading}: {len(marks)} LAs' {'ratios' if ratio else 'rates ' + unit} against their "
           f"{'second count' if ratio else 'population'}, around {number(funnel.centre)}; outside the {levels[-1]} limits: "
           f"{', '.join(named) or 'none'}.")  # fmt: skip
    ordered = tuple(row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1])))  # widest outside first
    svg = Markup(funnel_svg(chart))  # noqa: S704 - matplotlib escapes every text node and attribute it writes
    withheld = sum(1 for row in ordered if row.count == SUPPRESSED)
    return FunnelView(found.measure, heading, levels, unit, funnel.method, svg, alt, ordered, withheld)


def _bounds(low: float, high: float, number: Callable[[float], str]) -> str:
    return f"{number(low)} to {number(high) if math.isfinite(high) else 'unbounded'}"


def _side_files(release: Release, result: ReconcileResult | None, disclosure: Disclosure) -> tuple[SideFile, ...]:
    files = []
    if disclosure.shows_record_ids:
        checks = tuple(
            (s.name, o.check_id, o.severity, record_id) for s in release.sources for o in s.outcomes for record_id in o.record_ids
        )
        files.append(SideFile("check-failures", ("source", "check_id", "severity", "record_id"), checks))
        if result is not None:
            rows: list[tuple[str, ...]] = []
            for u in result.unmatched:
                rows += [(u.measure, u.period, u.left, u.right, f"only in {u.left}", i, "") for i in u.only_left]
                rows += [(u.measure, u.period, u.left, u.right, f"only in {u.right}", i, "") for i in u.only_right]
                rows += [(u.measure, u.period, u.left, u.right, "period shift", p.left_id, p.right_id) for p in u.period_shifts]
            files.append(SideFile("unmatched", ("measure", "period", "left", "right", "finding", "record_id", "linked_record_id"),
                                  tuple(rows)))  # fmt: skip
    provenance = tuple((source, f.path, str(f.size), f.sha256) for source, f in release.provenance.files)
    published = tuple((source, f.path, str(f.size), f.sha256) for source, f in release.published_files)
    every = tuple(dict.fromkeys(provenance + published))
    files.append(SideFile("provenance", ("source", "file", "bytes", "sha256"), every))
    return tuple(files)


def _files_summary(release: Release) -> str:
    files = list(dict.fromkeys(release.provenance.files + tuple(release.published_files)))
    size = sum(f.size for _, f in files)
    sources = len({name for name, _ in files})
    return (f"{count_words(len(files), 'input file', 'input files')} ({_bytes(size)}) from "
            f"{count_words(sources, 'source', 'sources')}")  # fmt: skip


def _bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,} bytes"


def _death_rules(release: Release) -> tuple[tuple[tuple[str, ...], str], ...]:
    """What each source counts as a death, the sources with the same rule together (e.g. every published table)."""
    named = [s.name for s in release.sources]
    rules = [release.death_rules[name] for name in named if name in release.death_rules]
    return tuple((tuple(n for n in named if release.death_rules.get(n) == rule), rule) for rule in dict.fromkeys(rules))


def _glossary_ids(release: Release, result: ReconcileResult | None) -> tuple[tuple[str, ...], Mapping[str, str]]:
    messages = {o.check_id: o.message for s in release.sources for o in s.outcomes if o.status != Status.PASSED}
    steps = [s.step for b in (result.bridges if result else ()) for s in b.steps if s.count]
    return (*messages, *steps), messages


def _grid_place(grids: Sequence[MeasureGrid]) -> str:
    """The one place the first page's grids count ("England", "Surrey"); "" when they differ (each caption says)."""
    places = {grid.place for grid in grids}
    return places.pop() if len(places) == 1 else ""


def build_report_view(release: Release, disclosure: Disclosure) -> ReportView:
    """`release` is already disclosed (reports/disclosure.py); its gate decides the headline."""
    sources, result, titles = release.sources, release.reconciliation, release.titles
    failures, warnings = verdict(release, disclosure)
    empty = ReconcileResult()
    styles = source_styles([s.name for s in sources])
    palette = {name: (colour, marker) for name, colour, marker in styles}
    grids = measure_grids(release, disclosure, palette)
    briefing_view = briefing(release, disclosure)
    check_sources, check_grid = _check_grid(sources, disclosure)
    ids, messages = _glossary_ids(release, result)
    return ReportView(
        title="Triangulate discrepancy report" if result is not None else "Triangulate source checks",
        passed=release.passed,
        verdict=tuple(failures),
        warnings=tuple(warnings),
        disclosure=disclosure.label,
        shows_record_ids=disclosure.shows_record_ids,
        sources=tuple(_source_view(s, disclosure) for s in sources),
        provenance=release.provenance,
        briefing=briefing_view,
        grids=grids,
        grid_place=_grid_place(grids[: briefing_view.measures]),
        bridges=bridge_tables(release, disclosure, [s.name for s in sources]),
        explained=explained(release, disclosure),
        trends=_trends(release, disclosure, [s.name for s in sources]),
        unmatched=unmatched_view(release, disclosure),
        notes=tuple((result or empty).notes),
        side_files=_side_files(release, result, disclosure) + tuple(grid_side_file(g) for g in grids),
        headlines=contrast_sentences(result or empty, titles, disclosure),
        incoherent=coherence_rows(result or empty, disclosure),
        rates=rate_rows(result or empty, disclosure),
        since=since_sentences(release.since, disclosure, release.source_names),
        release_charts=release_charts(release.since, titles, disclosure, release.source_names),
        palette=styles,
        death_rules=_death_rules(release),
        glossary=glossary(ids, messages),
        check_sources=check_sources,
        check_grid=check_grid,
        files_summary=_files_summary(release),
        gaps=_gap_rows(result or empty, disclosure),
        source_kinds={s.name: kind_display(s.kind) for s in sources},
        not_compared=tuple((n.source, n.reason) for n in (result or empty).not_compared),
        acknowledgements=acknowledgements_view(release, disclosure),
        # A published report leaves out a funnel with a withheld LA: its centre and limits come from every LA's count.
        funnels=tuple(_funnel(f, titles.get(f.measure, f.measure), disclosure) for f in (result or empty).funnels
                      if not any(funnel_points_hidden(f, disclosure))),
        unusual=unusual_view(result, titles, disclosure),
    )
