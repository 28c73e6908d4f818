"""JSON renderings of the result model: renderers only render.

With `--publish` (when JSON is asked for by name) every count of 1 to 5 and every figure secondary
suppression withholds is the string "c", EES's symbol: a count `"failed": "c"`, an interval
`["c", "c"]` (both bounds, whatever they were), and what is computed from a withheld figure with
it (per 12 months, a difference, a rate and its interval, a ratio of rates) likewise; and no finding carries its
`evidence` (nor its acknowledgement the evidence acknowledged or seen now): its figures may be small counts, and a
digest is of the failing records. With `--redact` the evidence stays: a digest of keyed person keys is no record id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..domain.geography import ENGLAND
from ..domain.intervals import SUPPRESSED, Interval
from ..model.checks import SourceResult
from ..model.reconciliation import ReconcileResult
from ..model.release import Release
from .disclosure import (
    Cell,
    Disclosure,
    funnel_points_hidden,
    hides_anomaly,
    hides_anomaly_band,
    is_small,
    left_cell,
    linkage_figure,
    right_cell,
    total_cell,
    withheld_series,
)
from .facts import comparison_explanation

AS_RECORDED = Disclosure()
HIDDEN = [SUPPRESSED, SUPPRESSED]
TOLERANCE_WITHHELD = "withheld"  # a learned tolerance below England's level, under --publish


def render_json(release: Release, disclosure: Disclosure = AS_RECORDED) -> str:
    document = release.to_dict()
    comparisons = (release.reconciliation or ReconcileResult()).comparisons
    for shown, c in zip(document.get("comparisons", ()), comparisons, strict=True):
        shown["explanation"] = comparison_explanation(c, release, disclosure)
    if disclosure.publish:
        if release.command == "check":
            _source(document, release.sources[0], disclosure)
        else:
            _published(document, release, disclosure)
        _without_evidence(document)
    return dumps(document)


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


EVIDENCE_FIELDS = ("evidence", "evidence_now")


def _without_evidence(document: dict[str, Any]) -> None:
    """Every finding's evidence taken out (`--publish`): checks (of a `check` run, or of each source), comparisons,
    missing deaths, empty comparisons and anomalies; their keys and acknowledgements' reason, owner and dates stay."""
    checks = [*document.get("checks", ()), *(c for s in document.get("sources", ()) for c in s.get("checks", ()))]
    for finding in [*checks, *document.get("comparisons", ()), *document.get("missing", ()),
                    *document.get("empty_comparisons", ()), *document.get("anomalies", ())]:
        finding.pop("evidence", None)
        for name in EVIDENCE_FIELDS:
            finding.get("acknowledgement", {}).pop(name, None)


def _count(value: Any, disclosure: Disclosure, cell: Cell | None = None) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        hidden = disclosure.hides_value(cell, value) if cell is not None else is_small(value)
        return SUPPRESSED if hidden else value
    return value


def _bounds(value: Any) -> Any:
    """An interval list with a bound of 1 to 5 (a difference, a sum of parts) as ["c", "c"]."""
    if isinstance(value, list) and any(isinstance(v, int | float) and is_small(v) for v in value):
        return list(HIDDEN)
    return value


def _source(document: dict[str, Any], source: SourceResult, disclosure: Disclosure) -> None:
    if source.published:
        return  # rows and cells of a table, not people: never withheld
    document["records"] = _count(document["records"], disclosure)
    document["deaths"] = _count(document["deaths"], disclosure, total_cell(source.name))
    for check in document["checks"]:
        check["failed"] = _count(check["failed"], disclosure)


def _published(document: dict[str, Any], release: Release, disclosure: Disclosure) -> None:
    for shown, source in zip(document["sources"], release.sources, strict=True):
        _source(shown, source, disclosure)
    result = release.reconciliation or ReconcileResult()
    for shown, c in zip(document["comparisons"], result.comparisons, strict=True):
        left, right = disclosure.hides_value(left_cell(c), c.left_value), disclosure.hides_value(right_cell(c), c.right_value)
        for side, hidden in (("left", left), ("right", right)):
            if hidden:
                shown[f"{side}_value"] = shown[f"{side}_per_12_months"] = list(HIDDEN)
        if disclosure.hides_difference(c):
            shown["difference"] = list(HIDDEN)
        if c.tolerance.get("withheld"):  # a learned tolerance (reports/disclosure.py _learned_withheld)
            shown["tolerance"] = {**shown["tolerance"], "abs": TOLERANCE_WITHHELD}
    for shown, b in zip(document["bridges"], result.bridges, strict=True):
        at = Cell(b.source, b.measure, b.period, ENGLAND)
        shown["headline"] = _count(b.headline, disclosure, at._replace(figure="headline"))
        shown["harmonised"] = _count(b.harmonised, disclosure, at)
        for step, model in zip(shown["steps"], b.steps, strict=True):
            step["count"] = _count(model.count, disclosure, at._replace(figure=model.step))
    for shown, u in zip(document["unmatched"], result.unmatched, strict=True):

        def linked(figure: str, number: int, u: Any = u) -> Any:
            return _count(number, disclosure, linkage_figure(u.left, u.right, u.measure, u.period, figure))

        shown["matched"] = linked("matched", u.matched)
        withheld = shown.get("record_ids_withheld") or {}
        for figure, number in withheld.items():
            withheld[figure] = linked(figure, number)
    for shown in document["missing"]:
        shown["count"] = _count(shown["count"], disclosure)
    document["summary"]["missing_deaths"] = _count(document["summary"]["missing_deaths"], disclosure)
    hidden_series = withheld_series(result.series, disclosure)
    for shown, p in zip(document["series"], result.series, strict=True):
        if p.value is not None and disclosure.hides_value(Cell(p.source, p.measure, p.period, ENGLAND), p.value):
            shown["value"] = shown["per_12_months"] = list(HIDDEN)
    for shown, t in zip(document["trends"], result.trends, strict=True):
        # Per 12 months, first and last: withheld for a source any of whose national figures is withheld.
        shown["per_12_months"] = [list(HIDDEN) if (t.measure, source) in hidden_series else values
                                  for source, values in zip(t.sources, shown["per_12_months"], strict=True)]  # fmt: skip
    for shown, k in zip(document["coherence"], result.coherence, strict=True):
        if disclosure.hides_value(Cell(k.source, k.measure, k.period, k.geography), k.total):
            shown["total"] = list(HIDDEN)
        shown["sum_of_parts"] = _bounds(shown["sum_of_parts"])
    counts: dict[tuple[str, str, str, str], Interval] = {}
    for shown, r in zip(document["rates"], result.rates, strict=True):
        counts[(r.source, r.measure, r.period, r.geography)] = r.count
        if disclosure.hides_value(Cell(r.source, r.measure, r.period, r.geography), r.count):
            shown["count"] = shown["rate"] = shown["rate_ci"] = list(HIDDEN)
    for shown, k in zip(document["contrasts"], result.contrasts, strict=True):
        sides = [Cell(s, k.measure, k.period, k.geography) for s in (k.left, k.right)]
        if any(disclosure.hides_value(cell, counts.get(tuple(cell[:4]))) for cell in sides):  # type: ignore[arg-type]
            shown["rate_ratio"] = shown["rate_ratio_ci"] = list(HIDDEN)
    for shown, a in zip(document["anomalies"], result.anomalies, strict=True):
        if hides_anomaly(a, disclosure):  # its finding keeps its key and severity (`blocking` names it), not its side
            shown["value"] = list(HIDDEN)
            shown["status"] = SUPPRESSED
        if hides_anomaly_band(a, disclosure, hidden_series):
            shown["expected"] = SUPPRESSED if a.expected is not None else None
            shown["band"] = list(HIDDEN) if a.band is not None else None
    shown_funnels = iter(document["funnels"])
    for f in result.funnels:
        hidden_points = funnel_points_hidden(f, disclosure)
        # A funnel's centre and limits come from every LA's counts (or England's): with one withheld, they could give it back.
        whole = any(hidden_points)
        for hidden, _ in zip(hidden_points, f.funnel.points, strict=True):
            shown = next(shown_funnels)
            if hidden:
                shown["count"] = shown["rate"] = shown["outside"] = SUPPRESSED  # where it falls would bound the count
                if " / " in f.source:
                    shown["denominator"] = SUPPRESSED
            if whole:
                shown["centre"] = SUPPRESSED
                shown["limits"] = {key: list(HIDDEN) for key in shown["limits"]}
    if "since_last_release" in document:
        since_published(document["since_last_release"], disclosure, release.source_names)


def since_published(since: dict[str, Any], disclosure: Disclosure, names: Mapping[str, str] | None = None) -> None:
    """What changed since the last release, from the history, withheld as this release withholds: record ids, small
    counts, and each release's figure for a cell this release withholds (the history keys sources by id; `names`
    maps an id to its name here)."""
    for check in since.get("checks", []):
        check["new_record_ids"], check["fixed_record_ids"] = [], []
        check["old_failed"], check["new_failed"] = (
            _count(check["old_failed"], disclosure),
            _count(check["new_failed"], disclosure),
        )
    for figure in since.get("published", []):
        figure["old"], figure["new"] = _bounds(figure["old"]), _bounds(figure["new"])
    for point in since.get("across_releases", []):
        name = (names or {}).get(point["source"], point["source"])
        if disclosure.hides_cell(Cell(name, point["measure"], point["period"], ENGLAND)):
            point["per_12_months"] = list(HIDDEN)
        else:
            point["per_12_months"] = _bounds(point["per_12_months"])
