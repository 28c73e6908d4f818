"""The `triangulate` command. Exit codes are a contract, decided at one place (`main`):

0  every check passed (or only warnings) / every comparison agrees or is within tolerance
1  an error-severity check failed / a discrepancy is beyond tolerance
2  bad usage, config or input (one line on stderr, naming the file and line or element)
130 interrupted (Ctrl-C); no partial outputs are left behind
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from .errors import EXIT_BAD_INPUT, EXIT_CHECKS_FAILED, EXIT_INTERRUPTED, EXIT_OK, TriangulateError, UsageError

SOURCE_CHOICES = ("cin", "ssda903", "ncmd", "csprp")


class ChecksFailed(Exception):
    exit_code = EXIT_CHECKS_FAILED


def _parse_reference_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    from .config import pd_date
    from .dates import parse_one

    parsed = parse_one(value)
    if parsed is None:
        raise UsageError(f"--reference-date {value!r} is not a YYYY-MM-DD date")
    return pd_date(parsed)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="triangulate")
def cli() -> None:
    """Validate and reconcile England's child-death data (DfE, NCMD, CSPRP)."""


@cli.command()
@click.option("--source", "kind", type=click.Choice(SOURCE_CHOICES), required=True, help="Which source the files are.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--reference-date", help="Collection reference date (YYYY-MM-DD); CIN takes it from each file's header.")
@click.option("--la-code", help="LA of an SSDA903 return (old 3-digit or ONS code).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the results as JSON.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Run config for column mapping and severities.")
def check(
    kind: str,
    paths: tuple[Path, ...],
    reference_date: str | None,
    la_code: str | None,
    json_path: Path | None,
    config_path: Path | None,
) -> None:
    """Check one source's files and report every failing record id."""
    from .atomic import write_text_atomic
    from .reports.console import render_check_summary
    from .reports.json_report import check_report, dumps
    from .validate import SourceOptions, check_source

    columns: dict[str, str] = {}
    severity: dict[str, str] = {}
    if config_path is not None:
        from .config import load_config

        config = load_config(config_path)
        match = next((s for s in config.sources if s.kind == kind), None)
        if match is not None:
            columns, severity = dict(match.columns), dict(match.severity)
            la_code = la_code or match.la_code
    options = SourceOptions(
        name=kind,
        kind=kind,
        paths=paths,
        columns=columns,
        la_code=la_code,
        reference_date=_parse_reference_date(reference_date),
        severity=severity,
    )
    checked = check_source(options)
    if json_path is not None:
        write_text_atomic(json_path, dumps(check_report(checked.result)))
    click.echo(render_check_summary(checked.result))
    if checked.result.blocks_release:
        raise ChecksFailed


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder to write into.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--years", type=int, default=3, show_default=True, help="Financial years to generate.")
@click.option("--last-year", type=int, default=2023, show_default=True, help="Year of the last 31 March reference date.")
@click.option(
    "--children", type=int, default=20_000, show_default=True, help="Living CIN children per year (national is ~700,000)."
)
@click.option("--xlsx/--no-xlsx", default=True, show_default=True, help="Also write the NCMD extract as .xlsx.")
def synth(out_dir: Path, seed: int, years: int, last_year: int, children: int, xlsx: bool) -> None:
    """Write realistic synthetic data for all four sources, with a manifest of injected defects."""
    from .synth import SynthSpec, write_synthetic

    manifest = write_synthetic(
        out_dir, SynthSpec(seed=seed, years=years, last_year=last_year, children_per_year=children, xlsx=xlsx)
    )
    click.echo(
        f"wrote synthetic data to {out_dir} ({manifest['counts']['defects']} injected defects listed in {out_dir / 'manifest.json'})"
    )


def main(argv: list[str] | None = None) -> None:
    """The one place where exceptions become exit codes."""
    try:
        cli.main(args=argv, prog_name="triangulate", standalone_mode=False)
    except ChecksFailed:
        sys.exit(EXIT_CHECKS_FAILED)
    except TriangulateError as error:
        click.echo(f"triangulate: error: {error.one_line()}", err=True)
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("triangulate: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("triangulate: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as error:
        click.echo(f"triangulate: error: {error.format_message()}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:
        if os.environ.get("TRIANGULATE_DEBUG"):
            raise
        click.echo(
            f"triangulate: internal error ({type(error).__name__}); rerun with TRIANGULATE_DEBUG=1 for details",
            err=True,
        )
        sys.exit(3)
    sys.exit(EXIT_OK)


if __name__ == "__main__":
    main()
