"""The one table of output formats: each format's flag, default file name and renderer.

Every renderer receives the release already disclosed (reports/disclosure.py) and the run's one
Disclosure, with the figures `--publish` withholds decided once (`suppression.for_release`), so a
format added here cannot show more than `--redact` or `--publish` allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..model.release import Release
from .disclosure import Disclosure


@dataclass(frozen=True)
class Rendered:
    files: dict[Path, str]
    stale: list[Path] = field(default_factory=list)  # outputs an earlier run left that this one must remove


Renderer = Callable[[Release, Disclosure, Path], Rendered]


@dataclass(frozen=True)
class OutputFormat:
    key: str
    flag: str
    default_name: str
    help: str
    render: Renderer
    for_publication: bool = False  # `run --publish` writes it without being asked by name


def _json(release: Release, disclosure: Disclosure, path: Path) -> Rendered:
    from .json_report import render_json

    return Rendered({path: render_json(release, disclosure)})


def _junit(release: Release, disclosure: Disclosure, path: Path) -> Rendered:
    from .junit import render_junit

    return Rendered({path: render_junit(release, disclosure)})


def _markdown(release: Release, disclosure: Disclosure, path: Path) -> Rendered:
    from .markdown import render_markdown

    return Rendered({path: render_markdown(release, disclosure)})


def _sarif(release: Release, disclosure: Disclosure, path: Path) -> Rendered:
    from .sarif import render_sarif

    return Rendered({path: render_sarif(release, disclosure)})


def _html(release: Release, disclosure: Disclosure, path: Path) -> Rendered:
    from .html import render_report_files, stale_side_files
    from .view import build_report_view

    view = build_report_view(release, disclosure)
    return Rendered(render_report_files(view, path), stale_side_files(view, path))


OUTPUT_FORMATS: dict[str, OutputFormat] = {
    f.key: f
    for f in (
        OutputFormat("json", "--json", "results.json", "Write results as JSON.", _json),
        OutputFormat("junit", "--junit", "junit.xml",
                     "Write JUnit XML: one testcase per comparison (and, for `run`, per check).", _junit),
        OutputFormat("summary_md", "--summary-md", "summary.md", "Write a Markdown summary for CI step summaries.", _markdown),
        OutputFormat("html", "--html", "report.html",
                     "Write the HTML discrepancy report (`run`: OUT/report.html unless given).", _html, for_publication=True),
        OutputFormat("sarif", "--sarif", "results.sarif",
                     "Write SARIF 2.1.0 for code scanning: one result per failing check and per discrepancy.", _sarif),
    )
}  # fmt: skip


def default_targets(out_dir: Path | None, given: dict[str, Path | None], publish: bool = False) -> dict[str, Path | None]:
    """Each output's path: as given, else (with --out) its default name in OUT."""
    targets = {key: given.get(key) for key in OUTPUT_FORMATS}
    if out_dir is not None:
        # A run for publication writes only the suppressed report, unless another output is asked for by name.
        for key, output in OUTPUT_FORMATS.items():
            if targets[key] is None and (output.for_publication or not publish):
                targets[key] = out_dir / output.default_name
    return targets
