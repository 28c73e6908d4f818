"""The revisions triangle in words, Markdown and HTML: a small table per headline series (an indicator at a place for
one combination of filter values; rows = periods, columns = releases, oldest first), its chart, and per indicator
the mean revision, the mean absolute revision and the bias test in words, naming the test and what it can show.

Renderers only: everything here is read from the `Triangle` (model/triangle.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..model.triangle import NOT_RUN, SIGN_TEST, Triangle, TriangleRow, TriangleStats
from .markdown import free_text
from .triangle_charts import triangle_svg

PERIODS_SHOWN = 12  # the latest periods of a series in a table; every period is in the JSON
MARKDOWN_SERIES = 12  # series tabled in the Markdown (a pull request's summary stays short)
HTML_SERIES = 40  # series tabled and charted in the HTML
NOT_HELD = "–"  # a release that did not hold the period


@dataclass(frozen=True)
class Series:
    """One headline series: an indicator at a place for one combination of filter values, its periods in order."""

    indicator: str
    geography: str
    geography_name: str
    filters: tuple[tuple[str, str], ...]
    rows: tuple[TriangleRow, ...]

    @property
    def place(self) -> str:
        return self.geography_name if self.geography_name == self.geography else f"{self.geography_name} ({self.geography})"

    @property
    def filters_text(self) -> str:
        return "; ".join(f"{column}: {value}" for column, value in self.filters)

    @property
    def shown(self) -> tuple[TriangleRow, ...]:
        return self.rows[-PERIODS_SHOWN:]


def series_of(triangle: Triangle) -> list[Series]:
    """The triangle's rows as series, in its order (indicator, national first, place, filters; periods oldest first)."""
    grouped: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[TriangleRow]] = {}
    names: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}
    for row in triangle.rows:
        key = (row.indicator, row.geography, tuple(row.filters.items()))
        grouped.setdefault(key, []).append(row)
        names[key] = row.geography_name
    return [Series(key[0], key[1], names[key], key[2], tuple(rows)) for key, rows in grouped.items()]


def revision_text(value: float | None) -> str:
    return "" if value is None else "0" if value == 0 else f"{value:+,g}"


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def stats_words(stats: TriangleStats) -> str:
    """An indicator's revisions in one sentence, e.g. `mean revision +12.50, mean absolute revision 20.00 over 5
    revisions; sign test (exact binomial, two-sided), 4 up and 1 down: p = 0.375: no evidence of bias`."""
    if stats.n == 0 or stats.mean_revision is None or stats.mean_absolute_revision is None:
        return "no revision to measure: no headline figure is a number in two releases"
    measures = (f"mean revision {stats.mean_revision:+,.2f}, mean absolute revision {stats.mean_absolute_revision:,.2f} "
                f"over {stats.n:,} {'revision' if stats.n == 1 else 'revisions'} (latest minus first)")  # fmt: skip
    if stats.test == NOT_RUN or stats.p_value is None:
        return f"{measures}; bias test not run: fewer than 3 revisions that are not 0, too few for any test to say anything"
    moved = stats.positive + stats.negative
    if stats.test == SIGN_TEST:
        test = f"sign test (exact binomial, two-sided), {stats.positive} up and {stats.negative} down"
    else:
        test = f"t test ({stats.n - 1} degrees of freedom), t = {stats.statistic or 0:.2f}"
    if stats.biased:
        up = stats.positive > stats.negative if stats.test == SIGN_TEST else (stats.statistic or 0) > 0
        verdict = f"evidence of bias: revisions lean {'upward' if up else 'downward'}"
    else:
        verdict = "no evidence of bias"
        # Under 6 revisions that are not 0, even all in one direction gives p >= 2 x 0.5^5: the test cannot flag bias.
        if stats.test == SIGN_TEST and 2 * 0.5**moved >= 0.05:
            verdict += f" (with {moved} revisions that are not 0 this test cannot reach p < 0.05)"
    return f"{measures}; {test}: {p_text(stats.p_value)}: {verdict}"


def _cell(text: str, number: float | None) -> str:
    """A release's figure as published (`60.0` keeps its decimal), a whole number with thousands separators."""
    if text == "":
        return NOT_HELD
    return f"{number:,.0f}" if number is not None and "." not in text else text


def _indicators(triangle: Triangle) -> list[str]:
    return list(dict.fromkeys([*(s.indicator for s in triangle.stats), *(r.indicator for r in triangle.rows)]))


def _place(stats: TriangleStats) -> str:
    name = stats.geography_name or stats.geography
    return name if name == stats.geography or not stats.geography else f"{name} ({stats.geography})"


def _stats_of(triangle: Triangle, indicator: str, series: Sequence[Series]) -> list[TriangleStats]:
    """An indicator's stats for each geography of the series shown (every geography's is in the JSON)."""
    places = {one.geography for one in series if one.indicator == indicator}
    return [s for s in triangle.stats if s.indicator == indicator and (s.geography in places or not s.geography)]


def _stats_words(found: Sequence[TriangleStats]) -> str:
    """`England: mean revision ...; North East: ...`; one geography's words alone (its tables name it)."""
    if len(found) == 1:
        return stats_words(found[0])
    return "; ".join(f"{_place(s)}: {stats_words(s)}" for s in found)


def _shown_notes(triangle: Triangle, series: Sequence[Series], limit: int) -> list[str]:
    notes = [f"{s.indicator}, {s.place}{f' ({s.filters_text})' if s.filters else ''}: the latest {PERIODS_SHOWN} of "
             f"{len(s.rows)} periods shown; every period is in the JSON" for s in series[:limit] if len(s.rows) > PERIODS_SHOWN]  # fmt: skip
    if len(series) > limit:
        notes.append(f"{limit} of {len(series)} headline series shown; every series is in the JSON")
    return notes + list(triangle.notes)


def triangle_markdown(triangle: Triangle) -> list[str]:
    """The triangle as Markdown lines (raw: join them with `wording.one_per_line`, as every Markdown output is)."""
    series = series_of(triangle)
    lines = ["### Revisions triangle", "",
             f"Each headline figure in every release that held it, oldest release first; {NOT_HELD}: the release did "
             "not hold the period. Revision: the latest release's figure minus the first's, where both are numbers."]  # fmt: skip
    shown = series[:MARKDOWN_SERIES]
    for indicator in _indicators(triangle):
        tables = [s for s in shown if s.indicator == indicator]
        stats = _stats_of(triangle, indicator, shown)
        if not tables and not stats:
            continue
        lines += ["", f"#### {free_text(indicator)}"]
        for one in tables:
            where = free_text(one.place) + (f", {free_text(one.filters_text)}" if one.filters else "")
            lines += ["", f"*{where}*", "",
                      "| period | " + " | ".join(free_text(label) for label in triangle.vintages) + " | revision |",
                      "|---|" + "---:|" * (len(triangle.vintages) + 1)]  # fmt: skip
            lines += [f"| {free_text(row.period)} | " + " | ".join(free_text(_cell(text, number)) for _, text, number in row.releases)
                      + f" | {revision_text(row.revision)} |" for row in one.shown]  # fmt: skip
        for one in stats:
            where = f", {free_text(_place(one))}" if len(stats) > 1 else ""  # one geography: the tables name it
            lines += ["", f"**{free_text(indicator)}{where}:** {stats_words(one)}."]
    notes = _shown_notes(triangle, series, MARKDOWN_SERIES)
    if notes:
        lines += ["", *(f"- {free_text(note)}" for note in notes)]
    return lines


def _chart(one: Series) -> Markup | None:
    rows = one.shown
    if not any(number is not None for row in rows for _, _, number in row.releases):
        return None
    title = f"{one.indicator}, {one.place}" + (f" ({', '.join(value for _, value in one.filters)})" if one.filters else "")
    svg = triangle_svg(
        [row.period for row in rows], [[number for _, _, number in row.releases] for row in rows], title, one.indicator
    )
    return Markup(svg)  # noqa: S704 - matplotlib escapes every text node it writes


def triangle_html_context(triangle: Triangle) -> dict[str, Any]:
    """What `triangle.html.j2` shows, as `triangle_view` (include it with `{% include "triangle.html.j2" %}`, the
    context holding `triangle_view=triangle_html_context(triangle)`)."""
    series = series_of(triangle)
    shown = series[:HTML_SERIES]
    indicators = []
    for indicator in _indicators(triangle):
        tables = [
            {"caption": f"{one.indicator}, {one.place}" + (f" ({one.filters_text})" if one.filters else "")
                        + ": each period's figure in each release, oldest first",
             "rows": [{"period": row.period, "cells": [_cell(text, number) for _, text, number in row.releases],
                       "revision": revision_text(row.revision)} for row in one.shown],
             "chart": _chart(one)}
            for one in shown if one.indicator == indicator
        ]  # fmt: skip
        found = _stats_of(triangle, indicator, shown)
        indicators.append({
            "indicator": indicator, "tables": tables, "words": _stats_words(found) if found else "",
            "biased": any(s.biased for s in found) if found else None, "test": "; ".join(dict.fromkeys(s.test for s in found)),
        })  # fmt: skip
    return {
        "vintages": [{"number": n, "label": label} for n, label in enumerate(triangle.vintages, start=1)],
        "indicators": [i for i in indicators if i["tables"] or i["words"]],
        "not_held": NOT_HELD,
        "notes": _shown_notes(triangle, series, HTML_SERIES),
    }


def render_triangle_html(triangle: Triangle) -> str:
    """The partial on its own (a section, not a page): for a test, or for a caller that assembles its own page."""
    from .html import environment

    return environment().get_template("triangle.html.j2").render(triangle_view=triangle_html_context(triangle))
