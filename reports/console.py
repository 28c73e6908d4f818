"""Short plain-text summaries for a person reading a terminal or CI log."""

from __future__ import annotations

from ..model.checks import CheckOutcome, SourceResult
from ..model.reconciliation import ReconcileResult
from ..model.release import Release
from .wording import interval_text, ratio_text, visible

_SAMPLE = 5
_SHOWN_DISCREPANCIES = 20
_SHOWN_CELLS = 20


def render_check_summary(result: SourceResult) -> str:
    verdict = "FAIL" if result.blocks_release else "PASS"
    if result.published:
        what = f"{result.records:,} rows"
    else:
        reference = result.reference_date.isoformat() if result.reference_date else "not given"
        what = f"{result.records} records, {result.deaths} deaths, reference date {reference}"
    lines = [f"{verdict}  {result.name} ({result.kind}): {what}"]
    failing = result.failing
    if not failing:
        lines.append(f"  all {len(result.outcomes)} checks passed")
    for outcome in failing:
        lines += _outcome_lines(outcome)
    passed = len(result.outcomes) - len(failing)
    if failing:
        lines.append(f"  {passed} other checks passed")
    return visible("\n".join(lines))


def _outcome_lines(outcome: CheckOutcome) -> list[str]:
    label = {"crashed": "CRASHED", "not_run": "NOT RUN"}.get(outcome.status, outcome.severity.upper())
    if outcome.status == "not_run":
        return [f"  {label:<8} {outcome.check_id:<32} {'-':>7}  {outcome.message} [{outcome.not_run}]"]
    if outcome.crashed:
        return [f"  {label:<8} {outcome.check_id:<32} {outcome.failed:>7}  {outcome.message} [{outcome.detail}]"]
    if outcome.level == "cell":
        # Published cells: one line each (file:line and the cell), as a steward fixes them one by one.
        head = f"  {label:<8} {outcome.check_id:<32} {outcome.failed:>7}  {outcome.message}"
        cells = [f"      {where}: {cell}" for where, cell in zip(outcome.locations, outcome.record_ids, strict=False)]
        more = [f"      and {outcome.failed - _SHOWN_CELLS} more"] if outcome.failed > _SHOWN_CELLS else []
        return [head, *cells[:_SHOWN_CELLS], *more]
    # Record ids arrive already disclosed: hashed with --redact, withheld with --publish.
    shown = ", ".join(outcome.record_ids[:_SAMPLE])
    more = f" and {outcome.failed - _SAMPLE} more" if outcome.failed > _SAMPLE else ""
    detail = f": {shown}{more}" if shown else ""
    return [f"  {label:<8} {outcome.check_id:<32} {outcome.failed:>7}  {outcome.message}{detail}"]


def render_reconciliation(release: Release) -> str:
    """The reconciliation in a few lines: its verdict, each discrepancy (first 20), opposite trends and notes."""
    result = release.reconciliation or ReconcileResult()
    summary = result.summary()
    lines = [
        f"{'PASS' if result.passed else 'FAIL'}  reconciliation: {summary['comparisons']} comparisons, {summary['agree']} agree, "
        f"{summary['within_tolerance']} within tolerance, {summary['discrepancy']} discrepancies, "
        f"{summary['not_comparable']} not comparable"
    ]
    for comparison in result.discrepancies[:_SHOWN_DISCREPANCIES]:
        why = f" ({comparison.explanation})" if comparison.explanation else ""
        lines.append(
            f"  DISCREPANCY {comparison.measure} {comparison.period_label} {comparison.geography}: "
            f"{comparison.left} {interval_text(comparison.left_value)} {comparison.relation} "
            f"{comparison.right} {interval_text(comparison.right_value)}{why}"
        )
    if len(result.discrepancies) > _SHOWN_DISCREPANCIES:
        lines.append(f"  and {len(result.discrepancies) - _SHOWN_DISCREPANCIES} more discrepancies (see the JSON)")
    for empty in result.empty:
        label = "EMPTY (allowed)" if empty.allowed else "EMPTY"
        lines.append(f"  {label} {empty.measure}: {empty.left} with {empty.right} compared nothing: {empty.reason}")
    for contrast in result.contrasts:
        lines.append(f"  RATE RATIO {contrast.measure} {contrast.period_label} {contrast.geography}: {contrast.left} / "
                     f"{contrast.right} = {ratio_text(contrast.rate_ratio, contrast.rate_ratio_ci)}")  # fmt: skip
    for trend in result.trends:
        if trend.opposite:
            lines.append(f"  OPPOSITE TRENDS {trend.measure}: {trend.sources[0]} {trend.directions[0]} ({trend.spans[0]}), "
                         f"{trend.sources[1]} {trend.directions[1]} ({trend.spans[1]})")  # fmt: skip
    lines += [f"  note: {note}" for note in result.notes]
    return visible("\n".join(lines))
