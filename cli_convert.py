"""`triangulate convert`: a source's files written in another layout. `convert cin`: census XML files as the flat
table of docs/formats.md ("The CIN census as a table"), Parquet or CSV, which a `kind: cin` source reads with the
same checks, record ids and counts as the XML."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import UsageError
from .text import UNDECODED_BYTES, printable

if TYPE_CHECKING:
    import pandas as pd


FORMS = {".parquet": "Parquet", ".csv": "CSV"}


@click.group()
def convert() -> None:
    """Write a source's files in another layout (docs/formats.md)."""


@convert.command("cin")
@click.argument("paths", metavar="XML...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--to", "target", required=True, type=click.Path(path_type=Path), metavar="FILE",
              help="The table to write: FILE.parquet or FILE.csv (replaced whole, or left as it was).")  # fmt: skip
def cin(paths: tuple[Path, ...], target: Path) -> None:
    """Write CIN census XML files (one per LA and year) as one flat table: a row per CINdetails episode, the child's
    fields repeated, each episode's protection plans in two `;`-separated columns. A run on the table gives the checks,
    record ids and counts a run on the XML gives."""
    from .readers.cin_flat import CHILD_NUMBER, flat_census

    suffix = target.suffix.lower()
    _check_target(target, paths)
    frame = flat_census(paths)  # a bad file: one line, exit 2, before anything is written
    from .pipeline.atomic import write_all_atomic

    # A new file beside the target (0600), renamed over it whole: a failure or a signal leaves the target as it was.
    write_all_atomic({target: frame.to_csv(index=False, lineterminator="\n") if suffix == ".csv" else _parquet(frame, CHILD_NUMBER)})
    counts = _counted(len(frame), "row", "rows"), _counted(int(frame[CHILD_NUMBER].nunique()), "child", "children")
    click.echo(f"wrote {counts[0]} ({counts[1]}, {_counted(len(paths), 'census file', 'census files')}) to "
               f"{printable(str(target), keep=UNDECODED_BYTES)} ({FORMS[suffix]}); it holds the census's personal data: "
               "keep it as the XML is kept")  # fmt: skip


def _counted(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def _check_target(target: Path, inputs: Sequence[Path]) -> None:
    """--to refused before any work, as every output's path is (pipeline/outputs.py `checked_place`), and also when
    it is not .parquet or .csv, or is one of the files being converted."""
    from .pipeline.outputs import checked_place, output_key

    if target.suffix.lower() not in FORMS:
        raise UsageError(f"--to {target}: name a .parquet or .csv file")
    checked_place(target, "--to")
    if any(Path(path).resolve() == output_key(target, followed=True) for path in inputs):
        raise UsageError(f"--to {target} is one of the census files being converted")


def _parquet(frame: pd.DataFrame, child_number: str) -> bytes:
    """The table as Parquet: every column text (a date that is not one is kept as written), ChildNumber an integer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {name: pa.array(frame[name].to_numpy(), type=pa.int64() if name == child_number else pa.string())
               for name in frame.columns}  # fmt: skip
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()
