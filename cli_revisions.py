"""`triangulate revisions`: what a new vintage of a published table revised in the figures the old one had."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .cli_options import history_options
from .errors import ChecksFailed, TriangulateError, UsageError

if TYPE_CHECKING:
    from .reconcile.renames import RenamesNeeded


@click.command()
@click.argument("vintage_paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              help="Revisions config: rounding, renamed columns and values, keys, indicators, tolerance.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write every changed cell as JSON.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write the HTML revisions report.")
@click.option("--summary-md", "summary_md", type=click.Path(path_type=Path), help="Write a Markdown summary for a pull request.")
@click.option("--suggest", "suggest_path", type=click.Path(path_type=Path), metavar="FILE",
              help="When columns or filter values appear in one vintage only, write the whole suggested mapping to FILE "
                   "as a revisions config (the run still stops, exit 2): check it, then run again with --config FILE.")  # fmt: skip
@click.option("--tolerance-abs", type=float, help="A revision within this many units is not beyond tolerance (with --tolerance-rel).")
@click.option("--tolerance-rel", type=float, help="A revision within this share of the old value (0.01 is 1%) is not beyond tolerance.")
@history_options
def revisions(vintage_paths: tuple[Path, ...], config_path: Path | None, json_path: Path | None, html_path: Path | None,
              summary_md: Path | None, suggest_path: Path | None, tolerance_abs: float | None, tolerance_rel: float | None,
              history_url: str | None, release_label: str | None) -> None:  # fmt: skip
    """What the newest of VINTAGES (oldest first: OLD NEW, or V1 V2 V3 ...) revised in the figures the one before it had
    published; with three or more, the revisions triangle of every headline figure release by release."""
    from dataclasses import replace

    from .config.measures import tolerance_of
    from .config.revisions import load_revisions_config
    from .pipeline.outputs import validate_targets
    from .pipeline.revisions import run_revisions
    from .readers.files import existing_file
    from .reconcile.renames import RenamesNeeded
    from .reports.revisions import render_revisions_html, render_revisions_json, render_revisions_markdown

    if len(vintage_paths) < 2:
        raise UsageError("revisions takes two or more vintages of one table, oldest first: OLD NEW, or V1 V2 V3 ...")
    old_path, new_path = vintage_paths[-2], vintage_paths[-1]
    outputs = {"json": json_path, "html": html_path, "summary_md": summary_md}
    validate_targets(outputs)
    if suggest_path is not None:
        _check_suggest_target(suggest_path, outputs, [*vintage_paths, config_path])
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
        try:
            found = run_revisions([existing_file(path) for path in vintage_paths], config)
        except RenamesNeeded as needed:
            if suggest_path is None:
                raise
            from .pipeline.streams import Stream, where

            stream = isinstance(where(suggest_path), Stream)  # standard output or a device: saved by the user first
            _write_suggestion(suggest_path, config_path, needed, old_path, new_path)
            shown = "standard output" if str(suggest_path) == "-" else str(suggest_path)
            raise needed.written(shown, stream=stream) from None
        renderers = {json_path: render_revisions_json, html_path: render_revisions_html, summary_md: render_revisions_markdown}
        files = {Path(path): render(found) for path, render in renderers.items() if path is not None}
        write_and_remember_revisions(history, found, files, started, release_label)
    click.echo(render_revisions_markdown(found).rstrip())
    if suggest_path is not None:
        click.echo(f"--suggest {suggest_path}: not written, every column and filter value lines up", err=True)
    if not found.passed:
        raise ChecksFailed


def _check_suggest_target(path: Path, outputs: Mapping[str, Path | None], inputs: list[Path | None]) -> None:
    """--suggest is refused where any other output would be: a folder, a device that is not a stream, a file that
    cannot be written; and it never writes over another output of the run or one of its inputs (a vintage, the
    config it would replace)."""
    from .pipeline.outputs import DISCARD, output_key, validate_targets
    from .reports.formats import OUTPUT_FORMATS

    try:
        validate_targets({"json": path})  # the one validation of an output path; its message is --json's
    except UsageError as error:
        raise UsageError("--suggest" + error.message.removeprefix(OUTPUT_FORMATS["json"].flag)) from None
    target = output_key(path, followed=True)
    if target == DISCARD:
        return
    for key, other in outputs.items():
        if other is not None and output_key(Path(other), followed=True) == target:
            raise UsageError(f"--suggest {path} and {OUTPUT_FORMATS[key].flag} {other} would write the same file")
    for given in inputs:
        if given is not None and Path(given).exists() and Path(given).resolve() == target:
            raise UsageError(f"--suggest {path}: is an input of this run ({given}); give a new file name")


def _write_suggestion(path: Path, config_path: Path | None, needed: RenamesNeeded, old_path: Path, new_path: Path) -> None:
    """The config given (if any) with the suggested `columns:` and `values:` merged in: a revisions config to check
    and pass back as --config. Written whole or not at all (pipeline/atomic.py)."""
    import yaml

    from .config.loader import load_yaml
    from .pipeline.atomic import write_all_atomic
    from .text import printable

    unpaired = needed.unpaired
    document = dict(load_yaml(config_path) or {}) if config_path is not None else {}
    document["columns"] = {**(document.get("columns") or {}), **unpaired.columns}
    values = {str(k): dict(v) for k, v in (document.get("values") or {}).items()}
    for column, mapping in unpaired.values.items():
        values[column] = {**values.get(column, {}), **mapping}
    if values:
        document["values"] = values
    old, new, own = (printable(str(p)) for p in (old_path, new_path, path))  # a newline in a name never ends the comment
    again = f"--config {own}" if own != "-" else "--config FILE (this, saved)"
    head = (f"# Suggested by `triangulate revisions {old} {new}`.\n"
            f"# Check every line (null: a column dropped on purpose), then run again with {again}\n")  # fmt: skip
    text = head + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000)
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o666 & ~_umask()
    write_all_atomic({path: text})
    if path.is_file():
        os.chmod(path, mode)  # a config to commit and share: its mode as it was (the writer makes files 0600)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
