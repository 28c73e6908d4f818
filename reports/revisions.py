"""Renderers for `triangulate revisions`: JSON, a Markdown summary (what the console prints too) and an HTML report.
The Markdown and the top of the HTML lead with what must be explained (reports/revision_words.py): substantive
revisions to counts, in words, then rows added and removed with their reason, then the other kinds in one line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..domain.geography import la_label
from ..model.revisions import CellRevision, Revisions
from .charts import bars_svg
from .markdown import free_text, table_cell
from .revision_words import SHOWN, Explained, explain, figure_words, place_words, tolerance_words, unreadable_words, where_words
from .triangle import triangle_html_context, triangle_markdown
from .wording import count_words, one_per_line

_LARGEST = 20
_LAS_CHARTED = 25


def render_revisions_json(revisions: Revisions) -> str:
    return json.dumps(revisions.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _change_text(cell: CellRevision) -> str:
    if cell.change is None:
        return cell.transition.replace("_", " ") or cell.kind.replace("_", " ")
    relative = f" ({cell.rel_change:+.1%})" if cell.rel_change is not None else ""
    return f"{cell.change:+,g}{relative}"


def _vintages_line(revisions: Revisions) -> str:
    def named(vintage: Any) -> str:
        return f"`{Path(vintage.file.path).name.replace('`', '')}` ({count_words(vintage.rows, 'row', 'rows')})"

    earlier = (
        f" Earlier releases (in the triangle): {', '.join(named(v) for v in revisions.earlier)}." if revisions.earlier else ""
    )
    return (f"{named(revisions.old)} against {named(revisions.new)}; periods compared: "
            f"{free_text(', '.join(revisions.periods) or 'none')}.{earlier}")  # fmt: skip


def _explained_markdown(explained: Explained) -> list[str]:
    lines = ["", f"**{free_text(explained.verdict)}**"]
    for block in explained.blocks:
        if block.items:
            lines += ["", f"### {block.title}", ""]
            lines += [free_text(block.text), ""] if block.text else []
            lines += [f"- {free_text(item.text)}" for item in block.items]
            lines += [f"- {block.more_text}"] if block.more else []
        elif block.text:
            lines += ["", free_text(block.text)]
    return lines


def render_revisions_markdown(revisions: Revisions) -> str:
    lines = [f"## Triangulate revisions: {'PASS' if revisions.passed else 'FAIL'}", "", _vintages_line(revisions)]
    lines += _explained_markdown(explain(revisions))
    if revisions.stats:
        lines += ["", "### Revision statistics", "",
                  "| indicator | level | compared | revised | mean revision | mean absolute revision |", "|---|---|---:|---:|---:|---:|"]  # fmt: skip
        lines += [f"| {table_cell(s.indicator)} | {table_cell(s.geographic_level)} | {s.compared:,} | {s.revised:,} | "
                  f"{'' if s.mean_revision is None else f'{s.mean_revision:,.2f}'} | "
                  f"{'' if s.mean_absolute_revision is None else f'{s.mean_absolute_revision:,.2f}'} |" for s in revisions.stats]  # fmt: skip
    lines += ["", f"Tolerance: {free_text(tolerance_words(revisions.tolerance))}."]
    if revisions.notes:
        lines += ["", "### Notes", "", *(f"- {free_text(note)}" for note in revisions.notes[:SHOWN])]
        lines += [f"- and {len(revisions.notes) - SHOWN:,} more (see the JSON)"] if len(revisions.notes) > SHOWN else []
    if revisions.triangle is not None:
        lines += ["", *triangle_markdown(revisions.triangle)]
    return one_per_line(lines) + "\n"


def _place(cell: CellRevision) -> str:
    code = cell.key.get("new_la_code") or cell.key.get("region_code") or cell.key.get("country_code") or ""
    return la_label(code) if code else cell.key.get("geographic_level", "")


def _chart(revisions: Revisions) -> Markup | None:
    by_place = Counter(_place(c) for c in revisions.cells if c.key.get("new_la_code"))
    if not by_place:
        return None
    top = by_place.most_common(_LAS_CHARTED)
    svg = bars_svg([p for p, _ in top], [n for _, n in top], "Cells revised, by local authority (most first)", "cells revised")
    return Markup(svg)  # noqa: S704 - matplotlib escapes every text node it writes


def _row(cell: CellRevision) -> dict[str, Any]:
    return {"where": where_words(cell), "old": figure_words(cell.old), "new": figure_words(cell.new), "change": _change_text(cell),
            "kind": cell.kind.replace("_", " "), "fails": cell.substantive and cell.beyond_tolerance}  # fmt: skip


def render_revisions_html(revisions: Revisions) -> str:
    from .html import environment

    symbols = [c for c in revisions.cells if c.change is None][:_LARGEST]
    boundary = [{"place": b.la_name or place_words(b.key), "old": b.old_code, "new": b.new_code, "period": b.period,
                 "dfe": str(b.key.get("old_la_code", "") or "")} for b in revisions.boundary]  # fmt: skip
    return environment().get_template("revisions.html.j2").render(
        r=revisions, explained=explain(revisions), largest=[_row(c) for c in revisions.largest(_LARGEST)],
        chart=_chart(revisions), symbols=[_row(c) for c in symbols], boundary=boundary,
        unreadable=[unreadable_words(u) for u in revisions.unreadable], tolerance=tolerance_words(revisions.tolerance),
        old_name=Path(revisions.old.file.path).name, new_name=Path(revisions.new.file.path).name,
        earlier=[Path(v.file.path).name for v in revisions.earlier],
        triangle_view=None if revisions.triangle is None else triangle_html_context(revisions.triangle),
    )  # fmt: skip
