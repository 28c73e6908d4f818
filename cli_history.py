"""`triangulate history`: the run history's commands, every recorded run and what changed between two of them."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_options import disclosure_options
from .errors import ChecksFailed, UsageError


@click.group()
def history() -> None:
    """The run history: every recorded run, and what changed between two of them."""


@history.command("list")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def history_list(url: str, as_json: bool) -> None:
    """One line per run, newest first: release, when, verdict, counts."""
    import json

    from .history.store import open_history
    from .reports.history import render_runs

    with open_history(url, create=False) as store:  # reads only: creates, upgrades and writes nothing
        runs = [r.to_dict() for r in store.runs()]
    click.echo(json.dumps(runs, indent=2) if as_json else render_runs(runs))


@history.command("diff")
@click.argument("url")
@click.option("--from", "from_ref", help="A run id or a release label [default: the latest run of an earlier release].")
@click.option("--to", "to_ref", help="A run id or a release label [default: the latest run].")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the changes as JSON.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write the changes as an HTML page.")
@click.option("--summary-md", "summary_md", type=click.Path(path_type=Path), help="Write a Markdown summary.")
@click.option("--revision-tolerance", type=float, default=0.0, show_default=True,
              help="A published figure that moves by more than this is revised beyond tolerance.")  # fmt: skip
@disclosure_options
def history_diff(url: str, from_ref: str | None, to_ref: str | None, json_path: Path | None, html_path: Path | None,
                 summary_md: Path | None, revision_tolerance: float, redact: bool, publish: bool) -> None:  # fmt: skip
    """What changed since the last release: new and fixed failures, comparisons that moved, revised figures, and
    findings newly acknowledged or no longer acknowledged."""
    from .history.store import open_history
    from .pipeline.atomic import write_all_atomic
    from .pipeline.outputs import validate_targets
    from .reports.disclosure import Disclosure, disclose_changes
    from .reports.history import render_diff_html, render_diff_json, render_diff_markdown
    from .reports.json_report import since_published

    if not revision_tolerance >= 0:
        raise UsageError("--revision-tolerance must be a number of at least 0")
    disclosure = Disclosure.from_options(redact=redact, publish=publish)
    with open_history(url, create=False) as store:  # reads only: creates, upgrades and writes nothing
        targets = {"json": json_path, "html": html_path, "summary_md": summary_md}
        validate_targets(targets)
        found = store.diff(from_ref, to_ref, revision_tolerance=revision_tolerance)
    # The history holds person keys, never record ids; still, every output passes through the disclosure. An
    # acknowledgement is shown by its key, reason, owner and dates (the steward's words, reviewed in a pull request),
    # never its evidence, so --publish has no figure of it to withhold.
    diff = disclose_changes(found, disclosure).to_dict()
    if disclosure.publish:
        since_published(diff, disclosure)
    renderers = {"json": render_diff_json, "html": render_diff_html, "summary_md": render_diff_markdown}
    write_all_atomic({Path(path): renderers[key](diff) for key, path in targets.items() if path is not None})
    click.echo(render_diff_markdown(diff).rstrip())
    if not diff["passed"]:
        raise ChecksFailed
