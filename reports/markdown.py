"""A short Markdown summary for CI step summaries."""

from __future__ import annotations

from ..model.release import Release
from .wording import interval_text


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(release: Release) -> str:
    """PASS/FAIL is the release's gate (for `reconcile`, the comparisons only, as its exit code)."""
    sources, result = release.sources, release.reconciliation
    failing_sources = [s for s in sources if s.blocks_release]
    lines = [f"## Triangulate: {'PASS' if release.passed else 'FAIL'}", ""]
    if not release.checks_gate and failing_sources:
        lines += ["Source checks below are reported but not gated here; `triangulate run` gates on them.", ""]
    lines += ["| source | records | deaths | failing checks |", "|---|---:|---:|---|"]
    for source in sources:
        failing = ", ".join(f"`{o.check_id}` ({o.failed})" for o in source.failing) or "none"
        lines.append(f"| {_cell(source.name)} | {source.records} | {source.deaths} | {_cell(failing)} |")
    if result is not None:
        summary = result.summary()
        lines += ["", f"{summary['comparisons']} comparisons: {summary['agree']} agree, {summary['within_tolerance']} within tolerance, "
                  f"{summary['discrepancy']} discrepancies, {summary['not_comparable']} not comparable."]  # fmt: skip
        if result.discrepancies:
            lines += ["", "| measure | period | geography | left | right | status | why |", "|---|---|---|---|---|---|---|"]
            for c in result.discrepancies[:30]:
                lines.append(
                    f"| {c.measure} | {c.period_label} | {_cell(c.geography)} | {c.left} {interval_text(c.left_value)} | "
                    f"{c.right} {interval_text(c.right_value)} | {c.status} | {_cell(c.explanation)} |"
                )
        for trend in result.trends:
            if trend.opposite:
                lines.append(
                    f"\nOpposite trends in `{trend.measure}`: {trend.sources[0]} {trend.directions[0]}, {trend.sources[1]} {trend.directions[1]}."
                )
    return "\n".join(lines) + "\n"
