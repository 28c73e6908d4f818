"""The verdict in sentences: what disagrees, what failed, what to watch, in the order a steward reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..domain.geography import ENGLAND, la_label
from ..model.checks import SourceResult
from ..model.reconciliation import ReconcileResult
from .disclosure import Disclosure
from .wording import gap_words, hides_either, interval_text, listed, period_label


def verdict(sources: Sequence[SourceResult], result: ReconcileResult | None, titles: Mapping[str, str],
             disclosure: Disclosure, checks_gate: bool) -> tuple[list[str], list[str]]:  # fmt: skip
    failures: list[str] = []
    warnings: list[str] = []
    for source in sources:
        crashed = [o.check_id for o in source.outcomes if o.crashed]
        errors = [o for o in source.outcomes if not o.crashed and o.failed and o.severity == "error"]
        warned = [o for o in source.outcomes if not o.crashed and o.failed and o.severity != "error"]
        if crashed:
            failures.append(
                f"{source.name}: {listed(crashed)} crashed, so {'its result' if len(crashed) == 1 else 'their results'} cannot be trusted."
            )
        if errors:
            failures.append(
                f"{source.name}: {len(errors)} checks fail at error severity: "
                + listed([f"{o.check_id} ({disclosure.count(o.failed)})" for o in errors])
                + "."
            )
        if warned:
            warnings.append(f"{source.name}: " + listed([f"{o.check_id} ({disclosure.count(o.failed)})" for o in warned]) + ".")
    disagreements: list[str] = []
    if result is not None:
        for c in result.discrepancies:
            if c.geography != ENGLAND:
                continue
            gap = "" if hides_either(c, disclosure) else gap_words(c.difference)
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
                    f"{check.source}: the {check.parts} figures for {check.measure} in {period_label(check.period)} "
                    f"do not add up to {la_label(check.geography)}'s."
                )
    if not checks_gate:
        # `reconcile` gates on comparisons only; the sources' own failures are reported, not gating.
        warnings = [f"{line} (not gated by `reconcile`; `triangulate run` gates on it)" for line in failures] + warnings
        failures = []
    # A steward reads the disagreements between sources first, then each source's own failures.
    return disagreements + failures, warnings
