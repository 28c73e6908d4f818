"""The small multiples of the report's "Unusual series" (issue 25): one panel per series whose latest point is outside
the band its own past predicts. Drawn as every chart is (reports/charts.py): matplotlib, SVG, text as text,
deterministic bytes, nothing matplotlib says reaching stderr."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from .charts import ADJUSTMENT_DOWN, COLOURS, INK, _drawing, _figure, _literal, _svg

BAND = "#9ecae1"  # the band's shade: light, so the points over it keep their contrast
PAST = COLOURS[0]  # the past figures: the report's first chart colour
COLUMNS = 4  # panels per row


@dataclass(frozen=True)
class PanelPoint:
    x: float  # a year fraction: the period's middle
    low: float
    high: float  # math.inf: a lower bound only
    earlier: bool = False  # from an earlier release in the run history: drawn hollow


@dataclass(frozen=True)
class SeriesPanel:
    """One flagged series: its past, the tested point, and the band its past predicts (None: withheld)."""

    title: str  # "Camden (E09000007), dfe"
    past: tuple[PanelPoint, ...]  # oldest first
    tested: PanelPoint
    band: tuple[float, float] | None
    expected: float | None
    ticks: tuple[tuple[float, str], ...]  # (x, period label) of every point
    subtitle: str = ""  # a second line: the measure, where the panels show more than one


def _panel_ticks(ticks: Sequence[tuple[float, str]], most: int = 4) -> tuple[list[float], list[str]]:
    """At most `most` period labels on a small panel, evenly spaced, always the first and the tested (last) one."""
    ordered = sorted(ticks)
    if len(ordered) <= most:
        chosen = ordered
    else:
        step = (len(ordered) - 1) / (most - 1)
        chosen = [ordered[round(i * step)] for i in range(most)]
    return [x for x, _ in chosen], [_literal(label) for _, label in chosen]


def _point(axes, point: PanelPoint, top: float, width: float, colour: str, marker: str, size: float) -> None:  # type: ignore[no-untyped-def]
    """An exact figure as a mark; an interval (rounded or suppressed) as a bar from its low to its high (to the top of the
    panel when it has no upper bound); hollow when it came from an earlier release."""
    face = "white" if point.earlier else colour
    if point.low == point.high:
        axes.plot([point.x], [point.low], marker=marker, markersize=size, markerfacecolor=face, markeredgecolor=colour,
                  markeredgewidth=1.0, linestyle="none", zorder=4)  # fmt: skip
        return
    high = point.high if math.isfinite(point.high) else top
    axes.bar(point.x, high - point.low, bottom=point.low, width=width, color=face, edgecolor=colour, linewidth=1.0, zorder=4)


def _handles(panels: Sequence[SeriesPanel], band_label: str) -> list:  # type: ignore[type-arg]
    """The one legend's entries: only the kinds of mark some panel draws."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    everything = [p for panel in panels for p in (*panel.past, panel.tested)]
    handles = [Line2D([], [], marker="o", markersize=4, color=PAST, linestyle="none", label="past figure")]
    if any(p.low != p.high for panel in panels for p in panel.past):
        handles.append(Patch(facecolor=PAST, edgecolor=PAST, label="past figure as its interval (rounded or suppressed)"))
    if any(p.earlier for p in everything):
        handles.append(Line2D([], [], marker="o", markersize=4, markerfacecolor="white", markeredgecolor=PAST, linestyle="none",
                              label="hollow: from an earlier release (run history)"))  # fmt: skip
    handles.append(Line2D([], [], marker="D", markersize=6, color=ADJUSTMENT_DOWN, linestyle="none", label="latest figure, tested"))
    if any(panel.band is not None for panel in panels):
        handles.append(Patch(facecolor=BAND, edgecolor=PAST, label=_literal(band_label)))
    if any(panel.expected is not None for panel in panels):
        handles.append(Line2D([], [], color=INK, linewidth=1.6, label="expected"))
    return handles


def _panel(axes, panel: SeriesPanel) -> None:  # type: ignore[no-untyped-def]
    """One series on its own y scale from 0; the band (and the expected value's tick) at the tested period."""
    from matplotlib.patches import Rectangle

    xs = sorted({p.x for p in (*panel.past, panel.tested)})
    half = 0.3 * min((b - a for a, b in itertools.pairwise(xs)), default=1.0)  # a third of the closest periods' spacing
    finite = [v for p in (*panel.past, panel.tested) for v in (p.low, p.high) if math.isfinite(v)]
    finite += [*(panel.band or ()), *([panel.expected] if panel.expected is not None else [])]
    top = max(max(finite, default=0.0) * 1.15, 1.0)  # room above the highest mark, which is never clipped
    if panel.band is not None:
        low, high = panel.band
        axes.add_patch(Rectangle((panel.tested.x - half, low), 2 * half, high - low, facecolor=BAND, edgecolor=PAST,
                                 linewidth=0.6, zorder=1))  # fmt: skip
    if panel.expected is not None:
        axes.hlines(panel.expected, panel.tested.x - half, panel.tested.x + half, color=INK, linewidth=1.6, zorder=3)
    middles = [(p.low + (p.high if math.isfinite(p.high) else p.low)) / 2 for p in panel.past]
    axes.plot([p.x for p in panel.past], middles, color="#8c8c8c", linewidth=0.7, zorder=2)
    for point in panel.past:
        _point(axes, point, top, half, PAST, "o", 4.0)
    _point(axes, panel.tested, top, half, ADJUSTMENT_DOWN, "D", 6.0)
    positions, labels = _panel_ticks(panel.ticks)
    axes.set_xticks(positions, labels, fontsize=7, color=INK, rotation=30 if max(map(len, labels), default=0) > 4 else 0)
    axes.set_xlim(min(xs) - 2 * half, max(xs) + 2 * half)
    axes.set_ylim(0, top)
    axes.tick_params(axis="y", labelsize=7, colors=INK)
    title = _literal(panel.title) + ("\n" + _literal(panel.subtitle) if panel.subtitle else "")
    axes.set_title(title, fontsize=8, color=INK, loc="left")
    axes.spines[["top", "right"]].set_visible(False)


@_drawing
def series_panels_svg(panels: Sequence[SeriesPanel], band_label: str) -> str:
    """Small multiples, one panel per flagged series in the order given, each with its own y scale from 0: the past
    figures, the tested point highlighted, and the prediction band shaded at the tested period with the expected
    value as a tick; one legend above them all."""
    columns = min(COLUMNS, max(len(panels), 1))
    rows = max(1, math.ceil(len(panels) / columns))
    handles = _handles(panels, band_label)
    across = min(columns, 3, len(handles))
    legend = 0.2 * math.ceil(len(handles) / across) + 0.55  # inches: the legend's rows and the first panels' titles
    height = 2.3 * rows + legend
    figure = _figure(2.6 * columns, height)
    grid = figure.subplots(rows, columns, squeeze=False)
    # Fixed margins: a layout engine would measure every label again (half the drawing time for 24 panels).
    figure.subplots_adjust(left=0.06 * 4 / columns, right=0.98, bottom=0.55 / height, top=1 - legend / height, wspace=0.3,
                           hspace=0.75)  # fmt: skip
    for number, axes in enumerate(grid.flat):
        if number < len(panels):
            _panel(axes, panels[number])
        else:
            axes.set_visible(False)
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1.0), ncols=across, frameon=False, fontsize=8)
    return _svg(figure)
