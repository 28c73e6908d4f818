"""The HTML discrepancy report: one self-contained file, rendered by Jinja2 with autoescaping on.

Side files (CSV) hold the full lists of record ids; the report links to them by relative name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from .charts import Series, WaterfallBar, releases_svg, trend_svg, waterfall_svg
from .view_model import ReportView, SideFile

# OWASP CSV injection: a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def environment():  # type: ignore[no-untyped-def]
    from jinja2 import Environment, PackageLoader, StrictUndefined

    # Escaping is on for every template whatever its file name: choosing by extension has left
    # other tools' reports unescaped when their template names did not match.
    return Environment(
        loader=PackageLoader("triangulate.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


SIDE_FILES = ("check-failures", "unmatched")


def side_file_name(report: Path, side: SideFile | str) -> str:
    return f"{report.stem}.{side if isinstance(side, str) else side.name}.csv"


def stale_side_files(view: ReportView, report_path: Path) -> list[Path]:
    """Side files an earlier run left beside this report that this report does not have (e.g. with --publish)."""
    current = {side.name for side in view.side_files}
    paths = [report_path.with_name(side_file_name(report_path, name)) for name in SIDE_FILES if name not in current]
    return [path for path in paths if path.is_file()]


def _chart(svg: str) -> Markup:
    # matplotlib's SVG writer escapes every text node and attribute it writes; the payload tests
    # in tests/test_html_report.py check that a label like "<script>" arrives as text.
    return Markup(svg)  # noqa: S704


def render_html(view: ReportView, report_path: Path) -> str:
    waterfalls = [
        _chart(waterfall_svg([WaterfallBar(*bar) for bar in b.bars], b.heading)) if b.bars else None for b in view.bridges
    ]
    trends = [
        _chart(
            trend_svg([Series(name, tuple((p.x, p.value, p.low, p.high) for p in points)) for name, points in t.series], t.title)
        )
        for t in view.trends
    ]
    across = [
        _chart(releases_svg([Series(name, points) for name, points in series], list(labels), f"{title}, across releases"))
        for title, series, labels in view.release_charts
    ]
    template = environment().get_template("report.html.j2")
    return template.render(
        release_charts=across,
        view=view,
        waterfalls=waterfalls,
        trend_charts=trends,
        side_links={side.name: "./" + quote(side_file_name(report_path, side)) for side in view.side_files},
        side_names={side.name: side_file_name(report_path, side) for side in view.side_files},
    )


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def render_side_file(side: SideFile) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(side.header)
    writer.writerows([neutralise(str(cell)) for cell in row] for row in side.rows)
    return buffer.getvalue()


def render_report_files(view: ReportView, report_path: Path) -> dict[Path, str]:
    """The report and its side files, every one rendered before any is written."""
    files = {report_path: render_html(view, report_path)}
    for side in view.side_files:
        files[report_path.with_name(side_file_name(report_path, side))] = render_side_file(side)
    return files
