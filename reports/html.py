"""The HTML discrepancy report: one self-contained file, rendered by Jinja2 with autoescaping on.

Side files (CSV) hold the full lists of record ids (not with --publish), every input file with its size and checksum,
and each measure's period x source table; the report links to them by relative name.
"""

from __future__ import annotations

import csv
import glob
import io
import re
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup, escape

from ..domain.inputs import printable
from .acknowledgements_view import STATUS_WORDS
from .charts import Series, releases_svg, trend_svg
from .glossary import glossary_anchor
from .view_model import ReportView, SideFile
from .wording import printable_keeping_lines

# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def environment():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # Escaping is on for every template whatever its file name: choosing by extension has left
    # other tools' reports unescaped when their template names did not match.
    environment = Environment(
        loader=PackageLoader("triangulate.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    environment.filters["first_upper"] = first_upper
    environment.filters["breakable"] = breakable
    return environment


def shown(value: object) -> object:
    """Every value a template writes, before autoescaping (which leaves control characters alone): a name's control
    characters, line breaks included, as visible escapes (domain/inputs.py `printable`). Markup already made (a
    chart, an id with `<wbr>`) keeps its own line breaks; the names in it were made printable when it was made."""
    if isinstance(value, Markup):
        return Markup(printable_keeping_lines(value))  # noqa: S704 - an escape adds only a backslash, letters and digits
    return printable(value) if isinstance(value, str) else value


def breakable(text: str) -> Markup:
    """An id or a key that may wrap after each `.`, `_` or `/` (not mid-word) in a narrow column: escaped, then `<wbr>`
    added."""
    return Markup(re.sub(r"([._/])", r"\1<wbr>", str(escape(printable(str(text))))))  # noqa: S704  (escaped first)


def first_upper(text: str) -> str:
    """A sentence's first letter in capitals, the rest as written (Jinja's `capitalize` lowers the rest)."""
    return text[:1].upper() + text[1:]


# Side files with fixed names (a measure's table is `report.<measure>.csv`, see reports/grids.py).
SIDE_FILES = ("check-failures", "unmatched", "provenance")


def side_file_name(report: Path, side: SideFile | str) -> str:
    return f"{report.stem}.{side if isinstance(side, str) else side.name}.csv"


GRID_HEADER_START = "period,"  # a measure's table (reports/grids.py) begins with its period column


def stale_side_files(view: ReportView, report_path: Path) -> list[Path]:
    """Side files an earlier run left beside this report that this report does not have (e.g. with --publish, or a
    run with other measures): the fixed ones by name, a measure's table by name and by its header (a file of the
    steward's own called `report.<anything>.csv` is left alone)."""
    current = {side_file_name(report_path, side) for side in view.side_files}
    fixed = {side_file_name(report_path, name) for name in SIDE_FILES}
    stale = []
    for path in sorted(report_path.parent.glob(f"{glob.escape(report_path.stem)}.*.csv")):
        if path.name in current or not path.is_file():
            continue
        if path.name in fixed or _first_line(path).startswith(GRID_HEADER_START):
            stale.append(path)
    return stale


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as file:
            return file.readline(200).decode("utf-8", "replace")
    except OSError:
        return ""


def _chart(svg: str) -> Markup:
    # matplotlib's SVG writer escapes every text node and attribute it writes; the payload tests
    # in tests/test_html_report.py check that a label like "<script>" arrives as text.
    return Markup(svg)  # noqa: S704


def render_html(view: ReportView, report_path: Path) -> str:
    styles = {name: (colour, marker) for name, colour, marker in view.palette}
    trends = {
        t.measure: _chart(trend_svg([Series(name, tuple((p.x, p.value, p.low, p.high) for p in points)) for name, points in t.series],
                                    t.title, t.ticks, styles))
        for t in view.trends
    }  # fmt: skip
    across = [
        _chart(releases_svg([Series(name, points) for name, points in series], list(labels), f"{title}, across releases", styles))
        for title, series, labels in view.release_charts
    ]
    template = environment().get_template("report.html.j2")
    return template.render(
        release_charts=across,
        view=view,
        styles=styles,
        bridges={b.measure: b for b in view.bridges},
        trends={t.measure: t for t in view.trends},
        trend_charts=trends,
        glossary_ids=_glossary_ids(view),
        side_links={side.name: "./" + quote(side_file_name(report_path, side)) for side in view.side_files},
        side_names={side.name: side_file_name(report_path, side) for side in view.side_files},
        acknowledgement_labels={status.value: words for status, words in STATUS_WORDS.items()},
    )


def _glossary_ids(view: ReportView) -> dict[str, str]:
    """Each check id the glossary explains -> its entry's anchor (a family's members each have their own)."""
    anchors = {entry.anchor for entry in view.glossary} | {a for entry in view.glossary for a in entry.also}
    ids = {row.check_id for row in view.check_grid} | {s.check_id for source in view.sources for s in source.checks}
    ids |= {step.step for table in view.bridges for step in table.steps} | {s.step for e in view.explained for s in e.steps}
    ids |= {s for e in view.explained for s in e.unchanged} | {s for table in view.bridges for s in table.unchanged}
    return {check_id: glossary_anchor(check_id) for check_id in ids if glossary_anchor(check_id) in anchors}


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def render_side_file(side: SideFile) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(side.header)
    # Escaped as every other output but JSON: `cat` on a side file must not retitle or recolour a terminal.
    writer.writerows([neutralise(printable(str(cell))) for cell in row] for row in side.rows)
    return buffer.getvalue()


def render_report_files(view: ReportView, report_path: Path) -> dict[Path, str]:
    """The report and its side files, every one rendered before any is written."""
    files = {report_path: render_html(view, report_path)}
    for side in view.side_files:
        files[report_path.with_name(side_file_name(report_path, side))] = render_side_file(side)
    return files
