"""`triangulate revisions`: what a new vintage of a published table revised in the figures the old one had."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from .cli_options import history_options
from .errors import ChecksFailed, TriangulateError, UsageError


@click.command()
@click.argument("old_path", type=click.Path(path_type=Path))
@click.argument("new_path", type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Revisions config: rounding, renamed columns and values, keys, indicators, tolerance.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write every changed cell as JSON.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write the HTML revisions report.")
@click.option("--summary-md", "summary_md", type=click.Path(path_type=Path), help="Write a Markdown summary for a pull request.")
@click.option("--tolerance-abs", type=float, help="A revision within this many units is not beyond tolerance (with --tolerance-rel).")
@click.option("--tolerance-rel", type=float, help="A revision within this share of the old value (0.01 is 1%) is not beyond tolerance.")
@history_options
def revisions(old_path: Path, new_path: Path, config_path: Path | None, json_path: Path | None, html_path: Path | None,
              summary_md: Path | None, tolerance_abs: float | None, tolerance_rel: float | None, history_url: str | None,
              release_label: str | None) -> None:  # fmt: skip
    """What NEW revised in the figures OLD had already published: two vintages of one EES table."""
    from dataclasses import replace

    from .config.measures import tolerance_of
    from .config.revisions import load_revisions_config
    from .pipeline.outputs import validate_targets
    from .pipeline.revisions import run_revisions
    from .readers.files import existing_file
    from .reports.revisions import render_revisions_html, render_revisions_json, render_revisions_markdown

    validate_targets({"json": json_path, "html": html_path, "summary_md": summary_md})
    config = load_revisions_config(config_path)
    if tolerance_abs is not None or tolerance_rel is not None:
        given = {"abs": tolerance_abs, "rel": tolerance_rel}
        try:
            chosen = tolerance_of({k: v for k, v in given.items() if v is not None}, "--tolerance-abs/--tolerance-rel")
        except TriangulateError as error:
            raise UsageError(error.message) from None
        config = replace(config, tolerance={**config.tolerance, **chosen})
    from .pipeline.memory import history_at, write_and_remember_revisions

    started = dt.datetime.now(dt.UTC)
    with history_at(history_url) as history:
        found = run_revisions(existing_file(old_path), existing_file(new_path), config)
        renderers = {json_path: render_revisions_json, html_path: render_revisions_html, summary_md: render_revisions_markdown}
        files = {Path(path): render(found) for path, render in renderers.items() if path is not None}
        write_and_remember_revisions(history, found, files, started, release_label)
    click.echo(render_revisions_markdown(found).rstrip())
    if not found.passed:
        raise ChecksFailed
