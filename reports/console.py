"""A short plain-text summary for a person reading a terminal or CI log."""

from __future__ import annotations

from ..model.checks import SourceResult

_SAMPLE = 5


def render_check_summary(result: SourceResult) -> str:
    verdict = "FAIL" if result.blocks_release else "PASS"
    lines = [
        f"{verdict}  {result.name} ({result.kind}): {result.records} records, {result.deaths} deaths, "
        f"reference date {result.reference_date.isoformat() if result.reference_date else 'not given'}"
    ]
    failing = result.failing
    if not failing:
        lines.append(f"  all {len(result.outcomes)} checks passed")
    for outcome in failing:
        shown = ", ".join(outcome.record_ids[:_SAMPLE])
        more = f" and {outcome.failed - _SAMPLE} more" if outcome.failed > _SAMPLE else ""
        label = "CRASHED" if outcome.crashed else outcome.severity.upper()
        detail = f" [{outcome.detail}]" if outcome.crashed else f": {shown}{more}"
        lines.append(f"  {label:<8} {outcome.check_id:<32} {outcome.failed:>7}  {outcome.message}{detail}")
    passed = len(result.outcomes) - len(failing)
    if failing:
        lines.append(f"  {passed} other checks passed")
    return "\n".join(lines)
