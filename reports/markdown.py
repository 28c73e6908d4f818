"""A short Markdown summary for CI step summaries."""

from __future__ import annotations

from ..model.release import Release
from .disclosure import Disclosure
from .wording import interval_text, ratio_text, visible


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(release: Release) -> str:
    """PASS/FAIL is the release's gate (for `reconcile`, the comparisons only, as its exit code)."""
    sources, result = release.sources, release.reconciliation
    ungated = [s for s in sources if s.blocks_release and s not in release.gating_sources]
    lines = [f"## Triangulate: {'PASS' if release.passed else 'FAIL'}", ""]
    if release.since:
        from .figures import since_sentences

        lines += ["### Since the last release", "", *(f"- {line}" for line in since_sentences(release.since, Disclosure())), ""]
    if ungated:
        lines += ["Record sources' checks below are reported but not gated here; `triangulate run` gates on them.", ""]
    if sources:
        lines += ["| source | records | deaths | checks not passed |", "|---|---:|---:|---|"]
    for source in sources:
        failing = ", ".join(f"`{o.check_id}` ({'not run' if o.status == 'not_run' else o.failed})" for o in source.failing)
        deaths = "" if source.published else str(source.deaths)
        lines.append(f"| {_cell(source.name)} | {source.records} | {deaths} | {_cell(failing or 'none')} |")
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
        for empty in result.empty:
            lines.append(f"\n{'Allowed empty' if empty.allowed else 'EMPTY'} comparison in `{empty.measure}`: "
                         f"{empty.left} and {empty.right}: {_cell(empty.reason)}.")  # fmt: skip
        if result.rates:
            lines += ["", "| measure | source | period | geography | count | population | rate | 95% CI |", "|---|---|---|---|---:|---:|---:|---|"]
            for r in result.rates[:60]:
                low, high = r.rate_ci
                lines.append(
                    f"| {r.measure} | {r.source} | {r.period_label} | {_cell(r.geography)} | {interval_text(r.count)} | "
                    f"{r.denominator:,.0f} | {interval_text(r.rate.scale(1))} per {r.per:,.0f} | {low:,.1f} to "
                    f"{'unbounded' if high is None else f'{high:,.1f}'} |"
                )
        for c in result.contrasts:
            lines.append(f"\nRate ratio `{c.measure}` {c.period_label} {c.geography}: {c.left} / {c.right} = "
                         f"{ratio_text(c.rate_ratio, c.rate_ratio_ci)}.")  # fmt: skip
        for trend in result.trends:
            if trend.opposite:
                lines.append(
                    f"\nOpposite trends in `{trend.measure}`: {trend.sources[0]} {trend.directions[0]}, {trend.sources[1]} {trend.directions[1]}."
                )
    return visible("\n".join(lines)) + "\n"
