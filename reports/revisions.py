"""Renderers for `triangulate revisions`: JSON, a Markdown summary for a pull request, and an HTML report
that leads with the largest revisions and a chart of revised cells by LA."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from markupsafe import Markup

from ..domain.geography import la_label
from ..model.revisions import CellRevision, Revisions
from .charts import bars_svg
from .wording import count_words, one_per_line

_LARGEST = 20
_LAS_CHARTED = 25


def render_revisions_json(revisions: Revisions) -> str:
    return json.dumps(revisions.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _place(cell: CellRevision) -> str:
    key = cell.key
    code = key.get("new_la_code") or key.get("region_code") or key.get("country_code") or ""
    return la_label(code) if code else key.get("geographic_level", "")


def _key_text(cell: CellRevision, skip: tuple[str, ...] = ("time_identifier",)) -> str:
    return ", ".join(f"{k} {v}" for k, v in cell.key.items() if k not in skip and v)


def _change_text(cell: CellRevision) -> str:
    if cell.change is None:
        return cell.kind.replace("_", " ")
    relative = f" ({cell.rel_change:+.1%})" if cell.rel_change is not None else ""
    return f"{cell.change:+,g}{relative}"


def render_revisions_markdown(revisions: Revisions) -> str:
    counts = Counter(c.kind for c in revisions.cells)
    lines = [
        f"## Triangulate revisions: {'PASS' if revisions.passed else 'FAIL'}",
        "",
        f"`{Path(revisions.old.file.path).name}` ({count_words(revisions.old.rows, 'row', 'rows')}) against "
        f"`{Path(revisions.new.file.path).name}` ({count_words(revisions.new.rows, 'row', 'rows')}); "
        f"periods compared: {', '.join(revisions.periods) or 'none'}.",
        "",
        f"{count_words(len(revisions.cells), 'cell', 'cells')} changed "
        f"({', '.join(f'{n:,} {k}' for k, n in sorted(counts.items())) or 'none'}); "
        f"{len(revisions.beyond_tolerance):,} beyond tolerance; {count_words(len(revisions.rows_added), 'row', 'rows')} added, "
        f"{len(revisions.rows_removed):,} removed.",
    ]
    largest = revisions.largest(10)
    if largest:
        lines += ["", "| indicator | where | period | old | new | change |", "|---|---|---|---:|---:|---:|"]
        lines += [f"| {c.indicator} | {_key_text(c, ('time_identifier', 'time_period'))} | {c.key.get('time_period', '')} | "
                  f"{c.old} | {c.new} | {_change_text(c)} |" for c in largest]  # fmt: skip
    if revisions.stats:
        lines += ["", "| indicator | level | compared | revised | mean revision | mean absolute revision |", "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {s.indicator} | {s.geographic_level} | {s.compared:,} | {s.revised:,} | "
                  f"{'' if s.mean_revision is None else f'{s.mean_revision:,.2f}'} | "
                  f"{'' if s.mean_absolute_revision is None else f'{s.mean_absolute_revision:,.2f}'} |" for s in revisions.stats]  # fmt: skip
    return one_per_line(lines) + "\n"


def _chart(revisions: Revisions) -> Markup | None:
    by_place = Counter(_place(c) for c in revisions.cells if c.key.get("new_la_code"))
    if not by_place:
        return None
    top = by_place.most_common(_LAS_CHARTED)
    svg = bars_svg([p for p, _ in top], [n for _, n in top], "Cells revised, by local authority (most first)", "cells revised")
    return Markup(svg)  # noqa: S704 - matplotlib escapes every text node it writes


def render_revisions_html(revisions: Revisions) -> str:
    from .html import environment

    counts = Counter(c.kind for c in revisions.cells)
    largest = [
        {"indicator": c.indicator, "place": _place(c), "key": _key_text(c, ("time_identifier", "new_la_code", "region_code",
                                                                              "country_code", "old_la_code")),
         "old": c.old, "new": c.new, "change": _change_text(c), "beyond": c.beyond_tolerance}
        for c in revisions.largest(_LARGEST)
    ]  # fmt: skip
    symbols = [c for c in revisions.cells if c.change is None][:_LARGEST]
    return environment().get_template("revisions.html.j2").render(
        r=revisions, counts=dict(counts), largest=largest, chart=_chart(revisions),
        symbols=[{"indicator": c.indicator, "place": _place(c), "key": _key_text(c), "old": c.old, "new": c.new, "kind": c.kind}
                 for c in symbols],
        old_name=Path(revisions.old.file.path).name, new_name=Path(revisions.new.file.path).name,
    )  # fmt: skip
