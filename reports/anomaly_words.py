"""Series bands in words (issue 25): what the console, the Markdown and the verdict say of a series whose latest
point is outside the band its own past predicts. "Unusual", never "wrong": a real change in practice looks the same."""

from __future__ import annotations

from ..domain.geography import la_label
from ..model.anomalies import Anomaly, level_text
from ..model.reconciliation import ReconcileResult
from .disclosure import Cell, Disclosure, hides_anomaly_band

SHOWN = 10  # lines on the console and in the Markdown; the JSON lists every one


def unusual(result: ReconcileResult, disclosure: Disclosure) -> list[Anomaly]:
    """The series outside their bands that an output may name: not one whose figure it withholds (above or below a
    band that the past's shown figures give would narrow the `c`)."""
    return [a for a in result.anomalies if a.unusual and not disclosure.hides_value(Cell(a.source, a.measure, a.period, a.geography), a.value)]


def anomaly_sentence(found: Anomaly, disclosure: Disclosure, hidden_series: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()) -> str:
    """`Camden (E09000007), deaths 2024 in dfe: 34, above 7 to 16 expected from 6 past periods (99.8% band)`; the
    band is withheld by --publish as the JSON withholds it (disclosure.hides_anomaly_band: wherever the figure is,
    below England's level, and where the series holds a withheld figure: `hidden_series`, disclosure.withheld_series)."""
    cell = Cell(found.source, found.measure, found.period, found.geography)
    value = disclosure.figure(cell, found.value)
    place = la_label(found.geography)
    if found.band is None or hides_anomaly_band(found, disclosure, set(hidden_series)):
        band = "its band"
    else:
        band = f"{found.band[0]:,.0f} to {found.band[1]:,.0f} expected"
    return (f"{place}, {found.measure} {found.period_label} in {found.source}: {value}, {found.status} {band} from "
            f"{found.points} past periods ({level_text(found.level)} band)")
