"""A short Markdown summary for CI step summaries: the verdict in words first, then the tables."""

from __future__ import annotations

from ..domain.intervals import SUPPRESSED
from ..domain.status import Status
from ..model.anomalies import Anomaly
from ..model.checks import SourceResult
from ..model.release import Release
from .acknowledgements_view import acknowledgements_view, release_verdict, settled
from .anomaly_words import SHOWN as SHOWN_UNUSUAL
from .console import agreeing, anomaly_text, discrepancies, expectation, hides_rates, named_anomalies, outcome, tally
from .disclosure import Cell, Disclosure, withheld_series
from .facts import comparison_explanation
from .gaps import gap_label, gap_sentence, missing_words, ordered_gaps
from .verdict import verdict
from .view_model import AcknowledgementsView
from .wording import interval_bounds_text, one_per_line, rate_number, rate_per_text, ratio_text

AS_RECORDED = Disclosure()


def table_cell(text: object) -> str:
    """Text in a table cell: a `|` would end it (a line break in a name is escaped with the rest, `one_per_line`)."""
    return str(text).replace("|", "\\|")


_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "[": "\\[", "]": "\\]", "*": "\\*",
                         "_": "\\_", "`": "\\`", "\\": "\\\\"})  # fmt: skip


def free_text(text: object) -> str:
    """A person's words (an acknowledgement's reason and owner) in Markdown: shown as written, never as markup, a
    link or HTML (a step summary renders both)."""
    return str(text).translate(_MARKUP)


def _failing(source: SourceResult, disclosure: Disclosure) -> str:
    shown = [f"`{o.check_id}` ({'not run' if o.status == Status.NOT_RUN else disclosure.failures(o.level, o.failed)}"
             f"{', acknowledged' if settled(o) else ''})" for o in source.failing]  # fmt: skip
    return table_cell(", ".join(shown) or "none")


_ACKNOWLEDGEMENTS_LISTED = 30


def _acknowledgements(view: AcknowledgementsView) -> list[str]:
    """The section "Acknowledged findings": each finding that met an entry (changed and expired first), then stale."""
    lines = ["### Acknowledged findings", "",
             f"From `{table_cell(view.file or 'the acknowledgements file')}`: {view.summary}. An acknowledged finding passes while "
             "its evidence is what was acknowledged and its entry has not expired; a changed or expired one blocks.", ""]  # fmt: skip
    if view.rows:
        evidence = " evidence |" if view.shows_evidence else ""
        lines += [f"| finding | status | reason | owner | acknowledged on | expires |{evidence}",
                  "|---|---|---|---|---|---|" + ("---|" if view.shows_evidence else "")]  # fmt: skip
        for row in view.rows[:_ACKNOWLEDGEMENTS_LISTED]:
            shown = ""
            if view.shows_evidence:
                shown = f" {table_cell(row.evidence)}{f'; now {table_cell(row.evidence_now)}' if row.status == 'changed' else ''} |"
            lines.append(f"| `{table_cell(row.key)}` | {row.status_label.lower()} | {free_text(row.reason)} | {free_text(row.owner)} | "
                         f"{row.acknowledged_on} | {row.expires} |{shown}")  # fmt: skip
        if len(view.rows) > _ACKNOWLEDGEMENTS_LISTED:
            lines += ["", f"and {len(view.rows) - _ACKNOWLEDGEMENTS_LISTED:,} more (see the JSON)."]
        lines.append("")
    if view.stale:
        lines += ["Stale: these entries match no finding of this run (remove them from the file):", ""]
        lines += [f"- `{table_cell(row.key)}`: {free_text(row.reason)} ({free_text(row.owner)}, acknowledged on {row.acknowledged_on})"
                  for row in view.stale[:_ACKNOWLEDGEMENTS_LISTED]]  # fmt: skip
        if len(view.stale) > _ACKNOWLEDGEMENTS_LISTED:
            lines.append(f"- and {len(view.stale) - _ACKNOWLEDGEMENTS_LISTED:,} more (see the JSON)")
        lines.append("")
    return lines


def _anomaly_mark(found: Anomaly) -> str:
    """What a gated unusual point does to the release, before its words; nothing for one that informs."""
    if found.blocks:
        return "**Blocks the release** (`gate: true`): "
    return "Acknowledged: " if settled(found) else ""


def render_markdown(release: Release, disclosure: Disclosure = AS_RECORDED) -> str:
    """PASS/FAIL is the release's gate (for `reconcile`, the comparisons only, as its exit code)."""
    sources, result = release.sources, release.reconciliation
    ungated = [s for s in sources if s.blocks_release and s not in release.gating_sources]
    lines = [f"## Triangulate: {release_verdict(release)}", ""]
    failures, warnings = verdict(release, disclosure)
    if failures:
        lines += ["**What fails:**", "", *(f"- {table_cell(line)}" for line in failures), ""]
    if warnings:
        lines += ["**To watch:**", "", *(f"- {table_cell(line)}" for line in warnings), ""]
    acknowledged = acknowledgements_view(release, disclosure)
    if acknowledged is not None:
        lines += _acknowledgements(acknowledged)
    if release.since:
        from .figures import since_sentences

        lines += ["### Since the last release", "", *(f"- {line}" for line in since_sentences(release.since, disclosure, release.source_names)), ""]
    if ungated:
        lines += ["Record sources' checks below are reported but not gated here; `triangulate run` gates on them.", ""]
    records = [s for s in sources if not s.published]
    tables = [s for s in sources if s.published]
    if records:
        lines += ["| source | records | deaths | checks not passed |", "|---|---:|---:|---|"]
        lines += [f"| {table_cell(s.name)} | {disclosure.count(s.records)} | {disclosure.total(s.name, s.deaths)} | {_failing(s, disclosure)} |"
                  for s in records]  # fmt: skip
        lines.append("")
    if tables:
        lines += ["| published table | rows | checks not passed |", "|---|---:|---|"]
        lines += [f"| {table_cell(s.name)} | {s.records:,} | {_failing(s, disclosure)} |" for s in tables]  # rows: not people
        lines.append("")
    if result is not None:
        summary = result.summary()
        lines += [f"{tally(summary['comparisons'], 'comparison', 'comparisons')}: {agreeing(summary)}, "
                  f"{summary[Status.WITHIN_TOLERANCE]:,} within tolerance, {discrepancies(result)}, "
                  f"{summary[Status.NOT_COMPARABLE]:,} not comparable."]  # fmt: skip
        if result.discrepancies:
            lines += [
                "",
                "| measure | period | geography | observed | expected | difference | why |",
                "|---|---|---|---|---|---:|---|",
            ]
            for c in result.discrepancies[:30]:
                lines.append(f"| {c.measure} | {c.period_label} | {table_cell(c.geography)} | {table_cell(outcome(c, disclosure))} | "
                             f"{table_cell(expectation(c).removeprefix('expected: '))} | {disclosure.difference(c)} | "
                             f"{table_cell(comparison_explanation(c, release, disclosure))} |")  # fmt: skip
            if len(result.discrepancies) > 30:
                lines += ["", f"and {len(result.discrepancies) - 30:,} more discrepancies (see the JSON)."]
        gaps = ordered_gaps(result)
        if gaps:
            lines += ["", f"Deaths one source has and another lacks ({missing_words(result, disclosure)} with no record at all, "
                      f"counted once per measure{'; record ids in the JSON and the report' if disclosure.shows_record_ids else ''}):", "",
                      "| finding | deaths |", "|---|---|"]  # fmt: skip
            lines += [f"| {gap_label(gap)}{' (acknowledged)' if settled(gap) else ''} | {table_cell(gap_sentence(gap, disclosure, ids=False))} |"
                      for gap in gaps[:30]]  # fmt: skip
            if len(gaps) > 30:
                lines += ["", f"and {len(gaps) - 30:,} more (see the JSON)."]
        for empty in result.empty:
            label = "Acknowledged empty" if settled(empty) else "EMPTY" if empty.gating else "Allowed empty"
            lines += ["", f"{label} comparison in `{empty.measure}`: "
                          f"{empty.left} and {empty.right}: {table_cell(empty.reason)}."]  # fmt: skip
        flagged = named_anomalies(result, disclosure)
        if flagged:  # informs, and blocks only with `gate: true`: a real change in practice looks the same
            lines += ["", "### Unusual against their own past", "",
                      *(f"- {_anomaly_mark(a)}{table_cell(anomaly_text(a, disclosure, withheld_series(result.series, disclosure)))}."
                        for a in flagged[:SHOWN_UNUSUAL])]  # fmt: skip
            lines += [f"- and {len(flagged) - SHOWN_UNUSUAL:,} more (see the JSON `anomalies`)."] if len(flagged) > SHOWN_UNUSUAL else []
        if result.not_compared:  # a note, never a failure: checked, but compared with no other source
            lines += ["", "Not compared with any other source (a note; it does not fail the run):", "",
                      *(f"- {table_cell(n.source)}: {table_cell(n.reason)}." for n in result.not_compared)]  # fmt: skip
        if result.rates:
            lines += [
                "",
                "| measure | source | period | geography | count | population | rate | 95% CI |",
                "|---|---|---|---|---:|---:|---:|---|",
            ]
            for r in result.rates[:60]:
                cell = Cell(r.source, r.measure, r.period, r.geography)
                if disclosure.hides_value(cell, r.count):
                    rate = ci = SUPPRESSED
                else:  # each rate rounded once, as every output shows it (31.3, never 31.35 rounded again to 31.4)
                    rate, ci = rate_per_text(r.rate, r.per), interval_bounds_text(*r.rate_ci, rate_number)
                population = f"{r.denominator:,.0f} ({table_cell(r.denominator_label or r.denominator_period)})"
                lines.append(f"| {r.measure} | {r.source} | {r.period_label} | {table_cell(r.geography)} | {disclosure.figure(cell, r.count)} | "
                             f"{population} | {rate} | {ci} |")  # fmt: skip
        for c in result.contrasts:
            if hides_rates(result, c.measure, c.period, c.geography, (c.left, c.right), disclosure):
                continue
            lines += ["", f"Rate ratio `{c.measure}` {c.period_label} {c.geography}: {c.left} / {c.right} = "
                          f"{ratio_text(c.rate_ratio, c.rate_ratio_ci)}."]  # fmt: skip
        for trend in result.trends:
            if trend.opposite:
                lines += ["", f"Opposite trends in `{trend.measure}`: {trend.sources[0]} {trend.directions[0]}, "
                              f"{trend.sources[1]} {trend.directions[1]}."]  # fmt: skip
    return one_per_line(lines) + "\n"
