"""Options shared by the commands that validate (`check`, `reconcile`, `run`), kept out of cli.py.

Nothing here imports pandas, the reports or Great Expectations at import: `triangulate --help` must stay fast.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .errors import UsageError

_NOT_GX = "published"  # `check --source published`: a published table's checks are pandas, not Great Expectations


def default_jobs() -> int:
    """The machine's cores (those this process may use, where Python can tell)."""
    count = getattr(os, "process_cpu_count", os.cpu_count)()
    return max(1, count or 1)


def validating(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--jobs N`, and the Great Expectations worker started before anything else the command does (importing GX
    takes seconds). --jobs is read first (eager), before --source, whose type looks the kind up in the registry
    (pandas, pandera and lxml: most of a second), and reading it starts the worker; the worker is stopped when the
    command ends, however it ends (even on a usage error found later). Put it just above the command's `def`."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("kind") == _NOT_GX:
            from .expectations.worker import stop_prestarted

            stop_prestarted()
        return command(*args, **kwargs)

    return click.option(
        "--jobs", type=click.IntRange(min=1), default=default_jobs, show_default="the machine's cores", metavar="N",
        is_eager=True, callback=_start_worker, help="Processes that read and check files at once (the results do not depend on it).",
    )(run)  # fmt: skip


def _start_worker(ctx: click.Context, param: click.Parameter, jobs: int) -> int:
    if not ctx.resilient_parsing:
        from .expectations.worker import prestart, stop_prestarted

        ctx.find_root().call_on_close(stop_prestarted)  # first: a signal while the worker starts still stops it
        prestart()
    return jobs


class _OutputOption(click.Option):
    pass


class OutputsCommand(click.Command):
    """`reconcile` and `run`: --json, --junit, --summary-md and --html come from the one table of output formats
    (reports/formats.py), read when the command's options are first needed (to parse its arguments or show its
    help), so `triangulate --help` imports neither the reports nor the model. They follow --config or --out."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        if not any(isinstance(param, _OutputOption) for param in self.params):
            from .reports.formats import OUTPUT_FORMATS

            at = 1 + max((i for i, p in enumerate(self.params) if p.name in ("config_path", "out_dir")), default=-1)
            self.params[at:at] = [
                _OutputOption([output.flag, output.key], type=click.Path(path_type=Path), help=output.help)
                for output in OUTPUT_FORMATS.values()
            ]
        return super().get_params(ctx)


def history_options(command):  # type: ignore[no-untyped-def]
    def one_line_label(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        """A release label is a short printable line (domain/inputs.py `label_problem`): refused at once otherwise."""
        from .domain.inputs import label_problem

        problem = label_problem(value) if value is not None else None
        if problem is not None:
            raise UsageError(f"--release: {problem}")
        return value

    command = click.option("--release", "release_label", callback=one_line_label,
                           help="This release's label in the history [default: the reference date].")(command)  # fmt: skip
    return click.option(
        "--history", "history_url", help="Record the run in a history: a SQLAlchemy URL (sqlite:///h.db, postgresql+psycopg://...) or a SQLite file path."
    )(command)


def disclosure_options(command):  # type: ignore[no-untyped-def]
    command = click.option(
        "--publish",
        is_flag=True,
        help="For publication: no record ids or file:line locations in any output, counts 1-5 (and figures they could be recovered from) shown as c, no side files of record ids; `run` then writes only the report.",
    )(command)
    return click.option(
        "--redact",
        is_flag=True,
        help="Record ids in every output become keyed hashes (key in $TRIANGULATE_REDACT_KEY).",
    )(command)


def acknowledgements_option(command):  # type: ignore[no-untyped-def]
    return click.option(
        "--acknowledgements", "acknowledgements_path", type=click.Path(path_type=Path),
        help="The acknowledgements file (written by `triangulate acknowledge`) [default: the run config's `acknowledgements:`].",
    )(command)  # fmt: skip
