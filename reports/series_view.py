"""The report's "Unusual series" (issue 25): each series whose latest point is outside the band its own past predicts,
as a small panel and a table row, disclosed as every output discloses it.

Which series: `anomaly_words.unusual`, the ones the console, the Markdown and the first page name, in their order. A
published output (`--publish`) also leaves out a series any of whose past figures it withholds: drawn at its value, a
withheld count would be shown. Its band is withheld where the JSON withholds it (`hides_anomaly_band`): the panel is
then drawn without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from markupsafe import Markup

from ..domain.geography import la_label
from ..domain.intervals import SUPPRESSED, Interval
from ..model.anomalies import Anomaly, PastPoint, level_text
from ..model.reconciliation import ReconcileResult
from .anomaly_words import unusual
from .disclosure import Cell, Disclosure, hides_anomaly_band, holds_withheld, withheld_series
from .series_charts import PanelPoint, SeriesPanel, series_panels_svg
from .series_model import UnusualRow, UnusualView
from .wording import count_words, period_middle

PANELS = 24  # at most, in the chart and its table; the JSON `anomalies` lists every one


def unusual_view(result: ReconcileResult | None, titles: Mapping[str, str], disclosure: Disclosure) -> UnusualView | None:
    """The section's chart and table; None when no series is unusual that this output may name."""
    if result is None:
        return None
    flagged = unusual(result, disclosure)
    if not flagged:
        return None
    shown = [a for a in flagged if not holds_withheld(a, disclosure)]  # all of them, but with --publish
    drawn = shown[:PANELS]
    hidden_series = withheld_series(result.series, disclosure)
    bands = [not hides_anomaly_band(a, disclosure, hidden_series) for a in drawn]
    several = len({a.measure for a in drawn}) > 1  # then each panel names its measure too
    panels = [_panel(a, band, titles.get(a.measure, a.measure) if several else "") for a, band in zip(drawn, bands, strict=True)]
    rows = tuple(_row(a, band, titles.get(a.measure, a.measure), disclosure) for a, band in zip(drawn, bands, strict=True))
    chart = Markup(series_panels_svg(panels, _band_label(drawn))) if drawn else Markup("")  # noqa: S704 - matplotlib escapes its text
    counted = Counter(a.method for a in drawn if a.method)
    methods = "; ".join(f"{method} ({count_words(n, 'series', 'series')})" for method, n in sorted(counted.items()))
    return UnusualView(chart=chart, chart_alt=_alt(drawn), rows=rows, methods=methods, more=len(shown) - len(drawn),
                       left_out=len(flagged) - len(shown), bands_withheld=bands.count(False),
                       from_history=any(p.release is not None for a in drawn for p in a.past))  # fmt: skip


def _point(period: str, value: Interval, earlier: bool) -> PanelPoint:
    return PanelPoint(period_middle(period), value.low, value.high, earlier)


def _panel(found: Anomaly, band: bool, measure: str) -> SeriesPanel:
    past = tuple(_point(p.period, p.value, p.release is not None) for p in found.past)
    ticks = tuple((period_middle(p.period), p.period_label) for p in (*found.past, found))
    return SeriesPanel(f"{la_label(found.geography)}, {found.source}", past, _point(found.period, found.value, False),
                       found.band if band else None, found.expected if band else None, ticks, measure)  # fmt: skip


def _row(found: Anomaly, band: bool, measure: str, disclosure: Disclosure) -> UnusualRow:
    cell = Cell(found.source, found.measure, found.period, found.geography)
    expected = "" if found.expected is None else f"{found.expected:,.1f}" if band else SUPPRESSED
    limits = "" if found.band is None else f"{found.band[0]:,.0f} to {found.band[1]:,.0f} ({_level(found.level)})" if band else SUPPRESSED
    return UnusualRow(la_label(found.geography), found.source, measure, found.period_label, disclosure.figure(cell, found.value),
                      found.status, expected, limits, f"{found.points:,}", _past(found, disclosure))  # fmt: skip


def _past(found: Anomaly, disclosure: Disclosure) -> str:
    """Every past figure, oldest first, as every output writes a figure (a rounded one is its interval)."""

    def one(point: PastPoint) -> str:
        figure = disclosure.figure(Cell(found.source, found.measure, point.period, found.geography), point.value)
        return f"{point.period_label}: {figure}" + (f" (from release {point.release})" if point.release is not None else "")

    return "; ".join(one(point) for point in found.past)


def _level(level: float) -> str:
    return level_text(level)


def _band_label(drawn: Sequence[Anomaly]) -> str:
    levels = sorted({a.level for a in drawn})
    return f"{_level(levels[0])} prediction band" if len(levels) == 1 else "prediction band (its level in the table)"


def _alt(drawn: Sequence[Anomaly]) -> str:
    named = "; ".join(f"{la_label(a.geography)}, {a.source}, {a.period_label}: {a.status} its band" for a in drawn)
    return (f"Small multiples of {count_words(len(drawn), 'unusual series', 'unusual series')}, each with its past figures, "
            f"its latest figure and the band its past predicts: {named}. The table below gives the same figures.")  # fmt: skip
