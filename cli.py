"""The `triangulate` command. Exit codes are a contract, decided at one place (`main`):

0  every check passed (or only warnings) / every comparison agrees or is within tolerance
1  an error-severity check failed / a discrepancy is beyond tolerance
2  bad usage, config or input, or the operating system refused (one line on stderr, naming the file and line or
   element, or the path); no new output is left behind
3  internal error (a bug)
130 interrupted (Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP); no partial outputs are left behind
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from . import __version__
from .cli_acknowledge import acknowledge
from .cli_convert import convert
from .cli_history import history
from .cli_options import OutputsCommand, acknowledgements_option, disclosure_options, history_options, validating
from .cli_revisions import revisions
from .environment import prepare, report
from .errors import EXIT_BAD_INPUT, EXIT_CHECKS_FAILED, EXIT_OK, ChecksFailed, Stopped, TriangulateError, UsageError, system_fault
from .lifecycle import install_handlers, stop_behind
from .pipeline.progress import Progress
from .text import UNDECODED_BYTES, printable


class SourceKindChoice(click.ParamType):
    """`--source`: any kind in the registry (canonical/registry.py), looked up when the option is read."""

    name = "source"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        from .canonical.registry import PUBLISHED, source_kinds

        return "[" + "|".join((*source_kinds(), PUBLISHED)) + "]"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from .canonical.registry import PUBLISHED, source_kinds

        kinds = (*source_kinds(), PUBLISHED)
        if value not in kinds:
            self.fail(f"{value!r} is not one of {', '.join(kinds)}", param, ctx)
        return str(value)


def _parse_reference_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    from .config import pd_date
    from .domain.dates import parse_one

    parsed = parse_one(value)
    if parsed is None:
        raise UsageError(f"--reference-date {value!r} is not a YYYY-MM-DD date")
    return pd_date(parsed)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
# The package's own version, not the distribution's metadata looked up by name: the distribution is
# `triangulate-child-deaths` (setup.cfg), and a checkout run without installing has no metadata at all.
@click.version_option(__version__, prog_name="triangulate")
def cli() -> None:
    """Validate and reconcile England's child-death data (DfE, NCMD, CSPRP)."""


@cli.command()
@click.option("--source", "kind", type=SourceKindChoice(), required=True, help="Which source the files are.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--reference-date", help="Collection reference date (YYYY-MM-DD); CIN takes it from each file's header.")
@click.option("--la-code", help="LA of an SSDA903 return (old 3-digit or ONS code).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the results as JSON.")
@click.option("--junit", "junit_path", type=click.Path(path_type=Path),
              help="Write JUnit XML: one testcase per check (a warning is a passing case that says so).")  # fmt: skip
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Run config for column mapping and severities.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write the per-source HTML report.")
@click.option("--sarif", "sarif_path", type=click.Path(path_type=Path), help="Write SARIF 2.1.0 for code scanning: one result per failing check.")
@acknowledgements_option
@disclosure_options
@history_options
@validating
def check(
    kind: str,
    paths: tuple[Path, ...],
    reference_date: str | None,
    la_code: str | None,
    json_path: Path | None,
    junit_path: Path | None,
    config_path: Path | None,
    html_path: Path | None,
    sarif_path: Path | None,
    acknowledgements_path: Path | None,
    redact: bool,
    publish: bool,
    history_url: str | None,
    release_label: str | None,
    jobs: int,
) -> None:
    """Check one source's files and report every failing record id."""
    from .canonical.registry import SourceOptions
    from .pipeline.outputs import validate_targets
    from .pipeline.release import check_release
    from .reports.console import render_check_summary
    from .reports.disclosure import Disclosure

    disclosure = Disclosure.from_options(redact=redact, publish=publish)
    targets = {"json": json_path, "junit": junit_path, "html": html_path, "sarif": sarif_path}
    validate_targets(targets)
    config = None
    match = None
    columns: dict[str, str] = {}
    severity: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    if config_path is not None:
        from .config import load_config

        config = load_config(config_path)
        match = next((s for s in (*config.sources, *config.published) if s.kind == kind), None)
        if match is not None:
            columns, severity, values = dict(match.columns), dict(match.severity), {k: dict(v) for k, v in match.values.items()}
            la_code = la_code or match.la_code
    if la_code is not None:
        from .domain.geography import is_known_la

        if not is_known_la(la_code):
            raise UsageError(f"--la-code {la_code!r} is not an LA code on the shipped list (3-digit DfE or ONS code)")
    from .readers.parquet import expand_folders

    options = SourceOptions(
        name=kind,
        kind=kind,
        paths=expand_folders(paths),  # a folder: its Parquet files
        columns=columns,
        values=values,
        la_code=la_code,
        # --reference-date, else the run config's (the source's own, else its top-level reference_date).
        reference_date=_parse_reference_date(reference_date)
        or (match.reference_date if match is not None else config.reference_date if config is not None else None),
        severity=severity,
        # The configured source's id, so that its checks' keys are those `run` gives them (the history, acknowledgements).
        source_id=config.source_ids.get(match.name, "") if config is not None and match is not None else "",
    )
    from .pipeline.acknowledge import load_for_run, with_acknowledgements
    from .pipeline.memory import history_at, write_and_remember

    acknowledgements_path = acknowledgements_path or (config.acknowledgements if config else None)
    entries = load_for_run(acknowledgements_path)
    started = dt.datetime.now(dt.UTC)
    with history_at(history_url or (config.history if config else None)) as history:
        release = with_acknowledgements(check_release(options, config, jobs=jobs), entries, acknowledgements_path)
        release, _, disclosure = write_and_remember(history, release, targets, disclosure, started,
                                                    release_label or (config.release if config else None))  # fmt: skip
    click.echo(render_check_summary(release.sources[0], disclosure, release.acknowledgements))
    if not release.passed:
        raise ChecksFailed


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write into.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--years", type=click.IntRange(min=1), default=3, show_default=True, help="Financial years to generate.")
@click.option("--last-year", type=int, default=2023, show_default=True, help="Year of the last 31 March reference date.")
@click.option(
    "--children",
    type=click.IntRange(min=1),
    help="Living CIN children per year [default: 20,000; with --la, the LA's share of ~700,000 by its children].",
)
@click.option("--looked-after", type=click.IntRange(min=0), help="Living looked-after children per year [default: a tenth of --children].")
@click.option("--xlsx/--no-xlsx", default=True, show_default=True, help="Also write the NCMD extract as .xlsx.")
@click.option("--clean", is_flag=True, help="Inject no defects or cross-source discrepancies.")
@click.option("--la", "la_code", metavar="CODE",
              help="One LA's release (3-digit DfE or ONS code): its census, SSDA903 return, CSPRP notifications and the "
                   "NCMD's deaths for the area.")  # fmt: skip
def synth(out_dir: Path, seed: int, years: int, last_year: int, children: int | None, looked_after: int | None, xlsx: bool,
          clean: bool, la_code: str | None) -> None:  # fmt: skip
    """Write realistic synthetic data for all four sources, with a manifest of injected defects."""
    from .synth import NATIONAL_CHILDREN_PER_YEAR, SynthSpec, children_in_need, write_synthetic

    if children is None:
        children = children_in_need(la_code) if la_code is not None else NATIONAL_CHILDREN_PER_YEAR
    manifest = write_synthetic(
        out_dir,
        SynthSpec(
            seed=seed,
            years=years,
            last_year=last_year,
            children_per_year=children,
            looked_after_per_year=looked_after,
            xlsx=xlsx,
            defects=not clean,
            la=la_code,
        ),
    )
    whose = f"{manifest['la']['la_name']}'s " if "la" in manifest else ""
    click.echo(f"wrote {whose}synthetic data to {_shown(out_dir)} ({manifest['counts']['defects']} injected defects listed in "
               f"{_shown(out_dir / 'manifest.json')})")  # fmt: skip


def _run_and_write(config_path: Path, targets: dict[str, Path | None], *, redact: bool, publish: bool, command: str,
                   history_url: str | None = None, release_label: str | None = None, jobs: int = 1,
                   acknowledgements_path: Path | None = None):  # type: ignore[no-untyped-def]  # fmt: skip
    """Check, reconcile and write every output, with a progress line on a terminal; returns the release as disclosed."""
    from .config import load_config
    from .model.release import release_label as default_label
    from .pipeline.acknowledge import load_for_run, with_acknowledgements
    from .pipeline.memory import history_at, read_memory, write_and_remember
    from .pipeline.outputs import validate_targets
    from .pipeline.release import run_release
    from .reports.disclosure import Disclosure

    disclosure = Disclosure.from_options(redact=redact, publish=publish)
    validate_targets(targets)
    config = load_config(config_path)
    acknowledgements_path = acknowledgements_path or config.acknowledgements
    entries = load_for_run(acknowledgements_path)  # a bad file stops the run before any work
    progress = Progress()
    started = dt.datetime.now(dt.UTC)
    try:
        with history_at(history_url or config.history) as history:
            label = release_label or config.release or default_label(config.reference_date, Path(config.path).name)
            memory = read_memory(history, label, command)
            release = run_release(config, progress, command=command, jobs=jobs, memory=memory)
            release = with_acknowledgements(release, entries, acknowledgements_path)
            progress("writing outputs and recording the run")
            return write_and_remember(history, release, targets, disclosure, started, label, memory=memory)
    finally:
        progress.done()


@cli.command(cls=OutputsCommand)  # with --json, --junit, --summary-md, --html, --sarif
@click.option("--config", "config_path", type=click.Path(path_type=Path), required=True, help="Run config (YAML).")
@acknowledgements_option
@disclosure_options
@history_options
@validating
def reconcile(config_path: Path, acknowledgements_path: Path | None, redact: bool, publish: bool, history_url: str | None,
              release_label: str | None, jobs: int, **outputs: Path | None) -> None:  # fmt: skip
    """Reconcile the sources' death counts; exit 1 on a discrepancy beyond tolerance, an empty comparison or a failing published table."""
    from .reports.console import render_check_summary, render_reconciliation
    from .reports.formats import default_targets

    targets = default_targets(None, outputs)
    release, _, disclosure = _run_and_write(config_path, targets, redact=redact, publish=publish, command="reconcile",
                                history_url=history_url, release_label=release_label, jobs=jobs,
                                acknowledgements_path=acknowledgements_path)  # fmt: skip
    for result in release.gating_sources:  # published tables: their checks gate `reconcile` too
        click.echo(render_check_summary(result, disclosure))
    click.echo(render_reconciliation(release, disclosure))
    if not release.passed:
        raise ChecksFailed


@cli.command(cls=OutputsCommand)  # with --json, --junit, --summary-md, --html, --sarif
@click.argument("config_path", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("triangulate-out"), show_default=True,
              help="Folder for every output not given a path of its own.")  # fmt: skip
@acknowledgements_option
@disclosure_options
@history_options
@validating
def run(config_path: Path, out_dir: Path, acknowledgements_path: Path | None, redact: bool, publish: bool,
        history_url: str | None, release_label: str | None, jobs: int, **outputs: Path | None) -> None:  # fmt: skip
    """Check every source, reconcile, and write every output; exit 1 if either fails."""
    from .pipeline.outputs import chosen_by_tool
    from .reports.console import render_check_summary, render_reconciliation
    from .reports.formats import default_targets

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: is a file, not a folder")
    targets = chosen_by_tool(default_targets(out_dir, outputs, publish), outputs)  # a default name in --out is never followed
    release, written, disclosure = _run_and_write(config_path, targets, redact=redact, publish=publish, command="run",
                                      history_url=history_url, release_label=release_label, jobs=jobs,
                                      acknowledgements_path=acknowledgements_path)  # fmt: skip
    for result in release.sources:
        click.echo(render_check_summary(result, disclosure))
    click.echo(render_reconciliation(release, disclosure))
    click.echo("wrote " + ", ".join(_shown(p) for p in written))
    if not release.passed:
        raise ChecksFailed


cli.add_command(history)
cli.add_command(acknowledge)
cli.add_command(revisions)
cli.add_command(convert)


def _shown(path: Path) -> str:
    """A path as the console shows it: escaped (text.printable), its undecodable bytes left to the console's error
    handler (errors.CONSOLE_ERRORS), as an error line names a file."""
    return printable(str(path), keep=UNDECODED_BYTES)


def _interrupted(error: BaseException | None = None) -> NoReturn:
    """Exit as the signal that stopped the run says (lifecycle.py): 130 `interrupted` for Ctrl-C, 143 `terminated`,
    129 `hung up`, whatever arrives next: a second signal (or one a writer deferred and re-raised) during the exit
    must not turn it into a death by signal. `error`: the exception caught (by default, the one being handled)."""
    from .lifecycle import exit_stopped

    exit_stopped(error if error is not None else sys.exc_info()[1])


def main(argv: list[str] | None = None) -> None:
    """The one place where exceptions become exit codes."""
    from .lifecycle import finishing, stop_late

    install_handlers()  # SIGTERM and SIGHUP stop the run as Ctrl-C does, from here to the exit (lifecycle.py)
    try:
        _main(argv)
    finally:
        try:
            finishing()  # a signal after the exit code is decided: that signal's code and line, no shutdown traceback
        except Stopped as stopped:  # it came as the command finished, before the handlers were swapped
            stop_late(stopped.signum, None)


def _main(argv: list[str] | None) -> None:
    try:
        prepare(sys.argv[1:] if argv is None else argv)  # console streams, the temporary folder: before any work
        cli.main(args=argv, prog_name="triangulate", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt) as error:
        _interrupted(error)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:
        # First: whatever was raised while a signal was stopping the run (a one-line error from a clean-up that
        # failed, a bug met on the way out) exits as the signal says, 130, 143 or 129.
        if stop_behind(error) is not None:
            _interrupted(error)
        _exit_for(error, sys.argv[1:] if argv is None else argv)
        raise  # a bug, and TRIANGULATE_DEBUG asks for its traceback
    sys.exit(EXIT_OK)


def _exit_for(error: Exception, argv: Sequence[str]) -> None:
    """The exit of a command that raised `error`, no signal behind it: its code, with one line on stderr. Returns
    only for a bug when TRIANGULATE_DEBUG is set."""
    if isinstance(error, ChecksFailed):
        sys.exit(EXIT_CHECKS_FAILED)
    if isinstance(error, TriangulateError):
        report(f"triangulate: error: {error.one_line()}")
        sys.exit(error.exit_code)
    if isinstance(error, click.ClickException):
        report(f"triangulate: error: {error.format_message()}")
        sys.exit(EXIT_BAD_INPUT)
    fault = system_fault(error, argv)
    if fault is not None:  # the operating system refused (no space, a name too long, no permission...): not a bug
        report(f"triangulate: error: {fault.one_line()}")
        sys.exit(fault.exit_code)
    if os.environ.get("TRIANGULATE_DEBUG"):
        return
    report(f"triangulate: internal error ({type(error).__name__}); rerun with TRIANGULATE_DEBUG=1 for details")
    sys.exit(3)


if __name__ == "__main__":
    main()
