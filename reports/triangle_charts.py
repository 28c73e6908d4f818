"""The revisions triangle's chart: each period's figure against the release number, one line per period, as ONS and
OSR draw revisions triangles, drawn as the change from the period's first published number (the table beside it holds
the figures): periods a year apart differ by more than any revision, so figures drawn as they are show flat lines. Drawn as every chart is (reports/charts.py): matplotlib, SVG, text as text,
deterministic bytes (a fixed hash salt, no date), nothing matplotlib says reaching stderr."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .charts import INK, LINESTYLES, MARKERS, OKABE_ITO, _drawing, _figure, _literal, _svg


@_drawing
def triangle_svg(periods: Sequence[str], figures: Sequence[Sequence[float | None]], title: str, ylabel: str) -> str:
    """`figures[i][r]`: period i's figure in release r + 1 (None: not held, or a symbol). Each line starts at 0 in the
    first release that gave the period a number; a period in one release is a point at 0; a line breaks where a release
    held no number."""
    releases = max((len(row) for row in figures), default=0)
    figure = _figure(6.4, 3.0)
    axes = figure.add_subplot()
    xs = list(range(1, releases + 1))
    for number, (period, row) in enumerate(zip(periods, figures, strict=True)):
        first = next((value for value in row if value is not None), None)
        ys = [math.nan if value is None or first is None else value - first for value in row]
        # Eight colours, then the same eight dashed: twelve periods stay apart without colour alone.
        axes.plot(xs[: len(ys)], ys, color=OKABE_ITO[number % len(OKABE_ITO)], marker=MARKERS[number % len(MARKERS)][0],
                  markersize=5, linestyle=LINESTYLES[(number // len(OKABE_ITO)) % len(LINESTYLES)], linewidth=1.2,
                  label=_literal(period))  # fmt: skip
    axes.set_xticks(xs, [str(x) for x in xs], fontsize=9, color=INK)
    axes.set_xlim(0.7, releases + 0.3)
    axes.axhline(0, color=INK, linewidth=0.6)
    axes.ticklabel_format(axis="y", style="plain", useOffset=False)  # -80, never an offset or a power of ten
    axes.set_xlabel("release (1 = oldest)", color=INK)
    axes.set_ylabel(_literal(f"{ylabel}: change since first published"), color=INK, fontsize=9)
    axes.set_title(_literal(title), fontsize=10, color=INK, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(title="period", frameon=False, fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _svg(figure)
