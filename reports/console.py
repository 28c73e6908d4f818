"""Short plain-text summaries for a person reading a terminal or CI log.

Both take the release as disclosed and the run's one Disclosure (pipeline/outputs.py): with
`--publish` no record id, no file:line and no count of 1 to 5 reaches a build log, and every figure
secondary suppression withholds is `c` here as in every other output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.geography import la_label
from ..domain.intervals import SUPPRESSED
from ..domain.status import Status
from ..model.anomalies import Anomaly, level_text
from ..model.checks import CheckOutcome, SourceResult
from ..model.findings import AcknowledgementsUsed
from ..model.reconciliation import Comparison, NotCompared, ReconcileResult
from ..model.release import Release
from .acknowledgements_view import console_lines, in_use, settled, standing_of, verdict_word
from .anomaly_words import SHOWN as SHOWN_UNUSUAL
from .anomaly_words import anomaly_sentence, unusual
from .disclosure import Disclosure, hides_anomaly, left_cell, plural, right_cell, withheld_series
from .facts import comparison_explanation
from .gaps import gap_label, gap_sentence, missing_words, ordered_gaps
from .wording import allowance, one_per_line, ratio_text

_SAMPLE = 5
_SHOWN_DISCREPANCIES = 20
_SHOWN_CELLS = 20
_SHOWN_GAPS = 20
AS_RECORDED = Disclosure()
RELATIONS = {">=": "at least", "<=": "at most", "==": "equal to"}


def counted(number: int, one: str, many: str, disclosure: Disclosure) -> str:
    """`1 record`, `2,000 records`, `c records`: a withheld count always takes the plural, which reveals nothing."""
    hidden = disclosure.hides(number)
    return f"{disclosure.count(number)} {plural(number, one, many, hidden)}"


def tally(number: int, one: str, many: str) -> str:
    """A tally of checks or comparisons (never of children): shown as it is."""
    return f"{number:,} {plural(number, one, many)}"


def agreeing(summary: Mapping[str, Any]) -> str:
    """`3 agree, 2 consistent`: a one-sided relation (at least, at most) that holds is consistent with it; the two
    counts need not agree (the JSON's status stays "agree"; its summary counts `consistent` among those)."""
    consistent = summary["consistent"]
    agree = summary[Status.AGREE] - consistent
    return f"{agree:,} agree" + (f", {consistent:,} consistent" if consistent else "")


def discrepancies(result: ReconcileResult) -> str:
    """`7 discrepancies`, `7 discrepancies (5 acknowledged)`: every comparison beyond tolerance, those that pass by
    their acknowledgement counted."""
    found = [c for c in result.comparisons if c.status == Status.DISCREPANCY]
    acknowledged = sum(1 for c in found if settled(c))
    return tally(len(found), "discrepancy", "discrepancies") + (f" ({acknowledged:,} acknowledged)" if acknowledged else "")


def expectation(c: Comparison) -> str:
    """What the measure expects, as an expectation: `expected: csprp at least dfe_cla`."""
    allowed = allowance(c.tolerance)  # the one wording of a tolerance (a learned one says so)
    return f"expected: {c.left} {RELATIONS.get(c.relation, c.relation)} {c.right}" + (
        "" if allowed == "exactly" else f", {allowed if c.tolerance.get('withheld') else allowed.replace('within ', 'within a tolerance of ', 1)}"
    )


def outcome(c: Comparison, disclosure: Disclosure) -> str:
    """What was observed: `csprp 48, dfe_cla 49`."""
    return (
        f"{c.left} {disclosure.figure(left_cell(c), c.left_value)}, {c.right} {disclosure.figure(right_cell(c), c.right_value)}"
    )


def render_check_summary(result: SourceResult, disclosure: Disclosure = AS_RECORDED,
                         acknowledgements: AcknowledgementsUsed | None = None) -> str:  # fmt: skip
    """A source's verdict and what did not pass. An acknowledged check is no failure: its verdict counts it
    (`PASS (2 acknowledged)`) and one line names them. `acknowledgements`: the file a `check` run used, whose
    changed, expired and stale entries follow (`reconcile` and `run` print those after the reconciliation)."""
    verdict = verdict_word(not result.blocks_release, (standing_of(o) for o in result.outcomes))
    if result.published:
        what = tally(result.records, "row", "rows")  # rows of a table, not people: never withheld
    else:
        reference = result.reference_date.isoformat() if result.reference_date else "not given"
        hidden = disclosure.hides_total(result.name, result.deaths)
        deaths = f"{disclosure.total(result.name, result.deaths)} {plural(result.deaths, 'death', 'deaths', hidden)}"
        what = f"{counted(result.records, 'record', 'records', disclosure)}, {deaths}, reference date {reference}"
    lines = [f"{verdict}  {result.name} ({result.kind}): {what}"]
    acknowledged = [o for o in result.failing if settled(o)]
    failing = [o for o in result.failing if not settled(o)]
    # Coherence that passed only tests it could run one way (a part with no upper bound) says so: never a silent pass.
    partial = [o for o in result.outcomes if o.check_id == "published.incoherent" and o.status == Status.PASSED and o.detail]
    if not failing and not partial and not acknowledged:
        total = len(result.outcomes)
        lines.append(f"  all {tally(total, 'check', 'checks')} passed" if total != 1 else "  its 1 check passed")
    for found in failing:
        lines += _outcome_lines(found, disclosure)
    lines += [f"  {'PARTIAL':<8} {found.check_id:<32} {'-':>7}  {found.message} [{found.detail}]" for found in partial]
    if acknowledged:
        lines.append(f"  ACKNOWLEDGED {tally(len(acknowledged), 'check', 'checks')}: {', '.join(o.check_id for o in acknowledged)}")
    passed = len(result.outcomes) - len(failing) - len(partial) - len(acknowledged)
    if failing or partial or acknowledged:
        lines.append(f"  {tally(passed, 'other check', 'other checks')} passed")
    if acknowledgements is not None:
        pairs = [(result.key(o), o.acknowledgement) for o in result.outcomes if o.acknowledgement is not None]
        lines += console_lines(pairs, acknowledgements, disclosure)
    return one_per_line(lines)


def _outcome_lines(found: CheckOutcome, disclosure: Disclosure) -> list[str]:
    label = {Status.CRASHED: "CRASHED", Status.NOT_RUN: "NOT RUN"}.get(found.status, found.severity.upper())
    count = disclosure.failures(found.level, found.failed)
    if found.status == Status.NOT_RUN:
        return [f"  {label:<8} {found.check_id:<32} {'-':>7}  {found.message} [{found.not_run}]"]
    if found.status == Status.CRASHED:
        return [f"  {label:<8} {found.check_id:<32} {count:>7}  {found.message} [{found.detail}]"]
    head = f"  {label:<8} {found.check_id:<32} {count:>7}  {found.message}"
    if found.level == "cell":
        # Published cells: one line each (file:line and the cell), as a steward fixes them one by one.
        cells = [f"      {where}: {cell}" for where, cell in zip(found.locations, found.record_ids, strict=False)]
        more = [f"      and {found.failed - _SHOWN_CELLS:,} more"] if cells and found.failed > _SHOWN_CELLS else []
        return [head, *cells[:_SHOWN_CELLS], *more]
    # Record ids arrive already disclosed: hashed with --redact, withheld with --publish (and then no "and N more").
    shown = ", ".join(found.record_ids[:_SAMPLE])
    more = f" and {found.failed - _SAMPLE:,} more" if shown and found.failed > _SAMPLE else ""
    return [head + (f": {shown}{more}" if shown else "")]


def render_reconciliation(release: Release, disclosure: Disclosure = AS_RECORDED) -> str:
    """The reconciliation in a few lines: its verdict, each discrepancy (first 20), opposite trends and notes."""
    result = release.reconciliation or ReconcileResult()
    summary = result.summary()
    # The reconciliation's own findings (every kind but a source's checks), each blocking by the model's one rule.
    reconciled = [f for f in release.findings if f.kind != "check"]
    standings = [f.acknowledgement.status if f.acknowledgement is not None else None for f in reconciled]
    gated = [a for a in result.anomalies if a.blocks]
    lines = [
        f"{verdict_word(not any(f.blocks for f in reconciled), standings)}  reconciliation: "
        f"{tally(summary['comparisons'], 'comparison', 'comparisons')}, "
        f"{agreeing(summary)}, {summary[Status.WITHIN_TOLERANCE]:,} within tolerance, "
        f"{discrepancies(result)}, {summary[Status.NOT_COMPARABLE]:,} not comparable"
        + (f"; {missing_words(result, disclosure)} missing from a source (once per measure)" if result.absent else "")
        + (f"; {_gated_words(len(gated))} (anomaly gate)" if gated else "")
    ]
    for c in result.discrepancies[:_SHOWN_DISCREPANCIES]:
        difference = disclosure.difference(c)
        facts = [f"difference {difference}" if difference and difference != SUPPRESSED else "", comparison_explanation(c, release, disclosure)]
        why = "; ".join(f for f in facts if f)
        lines.append(f"  DISCREPANCY {c.measure} {c.period_label} {c.geography}: {outcome(c, disclosure)} "
                     f"({expectation(c)}){f'; {why}' if why else ''}")  # fmt: skip
    if len(result.discrepancies) > _SHOWN_DISCREPANCIES:
        lines.append(f"  and {len(result.discrepancies) - _SHOWN_DISCREPANCIES:,} more discrepancies (see the JSON)")
    gaps = [gap for gap in ordered_gaps(result) if not settled(gap)]  # an acknowledged one is counted below, not listed
    lines += [f"  {gap_label(gap)} {gap_sentence(gap, disclosure)}" for gap in gaps[:_SHOWN_GAPS]]
    if len(gaps) > _SHOWN_GAPS:
        lines.append(f"  and {len(gaps) - _SHOWN_GAPS:,} more groups of unmatched deaths (see the JSON)")
    for empty in (e for e in result.empty if not settled(e)):
        label = "EMPTY" if empty.gating else "EMPTY (allowed)"
        lines.append(f"  {label} {empty.measure}: {empty.left} with {empty.right} compared nothing: {empty.reason}")
    for contrast in result.contrasts:
        if hides_rates(
            result, contrast.measure, contrast.period, contrast.geography, (contrast.left, contrast.right), disclosure
        ):
            continue
        lines.append(f"  RATE RATIO {contrast.measure} {contrast.period_label} {contrast.geography}: {contrast.left} / "
                     f"{contrast.right} = {ratio_text(contrast.rate_ratio, contrast.rate_ratio_ci)}")  # fmt: skip
    for trend in result.trends:
        if trend.opposite:
            lines.append(f"  OPPOSITE TRENDS {trend.measure}: {trend.sources[0]} {trend.directions[0]} ({trend.spans[0]}), "
                         f"{trend.sources[1]} {trend.directions[1]} ({trend.spans[1]})")  # fmt: skip
    lines += [f"  note: {note}" for note in result.notes]
    lines += [not_compared_line(n) for n in result.not_compared]
    flagged = named_anomalies(result, disclosure)
    hidden_series = withheld_series(result.series, disclosure)
    lines += [f"  {anomaly_label(a)} {anomaly_text(a, disclosure, hidden_series)}" for a in flagged[:SHOWN_UNUSUAL]]
    lines += [f"  and {len(flagged) - SHOWN_UNUSUAL:,} more unusual (see the JSON `anomalies`)"] if len(flagged) > SHOWN_UNUSUAL else []
    if in_use(release):  # every finding's: the sources' checks too (a `run` gates on them)
        pairs = [(f.key, f.acknowledgement) for f in release.findings if f.acknowledgement is not None]
        lines += console_lines(pairs, release.acknowledgements, disclosure)
    return one_per_line(lines)


def _gated_words(count: int) -> str:
    """`1 series unusual against its own past blocks`, `2 series unusual against their own past block`."""
    return f"{count:,} series unusual against its own past blocks" if count == 1 else f"{count:,} series unusual against their own past block"


def named_anomalies(result: ReconcileResult, disclosure: Disclosure) -> list[Anomaly]:
    """The unusual points an output names, those that block first: each it may show (anomaly_words.unusual), and one
    whose figure it withholds where it blocks (said without which side of its band it falls: `anomaly_text`)."""
    shown = {id(a) for a in unusual(result, disclosure)}
    found = [a for a in result.anomalies if a.unusual and (id(a) in shown or a.blocks)]
    return sorted(found, key=lambda a: not a.blocks)  # stable: the JSON's order within each


def anomaly_label(found: Anomaly) -> str:
    """`UNUSUAL` (it informs), `UNUSUAL, BLOCKS` (`gate: true`), `UNUSUAL, ACKNOWLEDGED` (gated, and its entry stands)."""
    if found.blocks:
        return "UNUSUAL, BLOCKS"
    return "UNUSUAL, ACKNOWLEDGED" if settled(found) else "UNUSUAL"


def anomaly_text(found: Anomaly, disclosure: Disclosure, hidden_series: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset()) -> str:
    """An unusual point in words (anomaly_words.anomaly_sentence); where its figure is withheld, neither its band nor
    its side: `Camden (E09000007), deaths 2024 in dfe: c, outside the band its past predicts`."""
    if hides_anomaly(found, disclosure):
        return (f"{la_label(found.geography)}, {found.measure} {found.period_label} in {found.source}: {SUPPRESSED}, "
                f"outside the band its past predicts ({level_text(found.level)} band)")
    return anomaly_sentence(found, disclosure, hidden_series)


def not_compared_line(found: NotCompared) -> str:
    """`  NOT COMPARED dfe_cin: no measure selects it (kind cin)`: checked, compared with nothing; a note, never a failure."""
    return f"  NOT COMPARED {found.source}: {found.reason}"


def hides_rates(result: ReconcileResult, measure: str, period: str, geography: str, sources: tuple[str, ...],
                disclosure: Disclosure) -> bool:  # fmt: skip
    """A rate (or a ratio of rates) gives its count away when the count is withheld: it is not shown then."""
    from .disclosure import Cell

    counts = {r.source: r.count for r in result.rates if (r.measure, r.period, r.geography) == (measure, period, geography)}
    return any(disclosure.hides_value(Cell(s, measure, period, geography), counts.get(s)) for s in sources)
