"""`triangulate convert`: a source's files written in another layout. `convert cin`: census XML files as the flat
table of docs/formats.md ("The CIN census as a table"), Parquet or CSV, which a `kind: cin` source reads with the
same checks, record ids and counts as the XML."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import SystemFault, UsageError
from .text import UNDECODED_BYTES, printable

if TYPE_CHECKING:
    import pandas as pd

    from .pipeline.streams import Stream

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
    place = _checked_target(target, paths)
    frame = flat_census(paths)  # a bad file: one line, exit 2, before anything is written
    if suffix == ".csv":
        from .pipeline.atomic import write_all_atomic

        write_all_atomic({target: frame.to_csv(index=False, lineterminator="\n")})
    else:
        _write_bytes(place, _parquet(frame, CHILD_NUMBER))
    counts = _counted(len(frame), "row", "rows"), _counted(int(frame[CHILD_NUMBER].nunique()), "child", "children")
    click.echo(f"wrote {counts[0]} ({counts[1]}, {_counted(len(paths), 'census file', 'census files')}) to "
               f"{printable(str(target), keep=UNDECODED_BYTES)} ({FORMS[suffix]}); it holds the census's personal data: "
               "keep it as the XML is kept")  # fmt: skip


def _counted(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def _checked_target(target: Path, inputs: Sequence[Path]) -> Path | Stream:
    """Where --to writes (pipeline/streams.py `where`), refused before any work as every output's path is
    (pipeline/outputs.py `validate_targets`): not .parquet or .csv, a folder, a block device or socket, a folder it
    cannot write in, a read-only file, or one of the files being converted."""
    from .pipeline.outputs import output_key
    from .pipeline.streams import Stream, where

    if target.suffix.lower() not in FORMS:
        raise UsageError(f"--to {target}: name a .parquet or .csv file")
    if target.is_dir():
        raise UsageError(f"--to {target}: is a folder; give a file name")
    try:
        place = where(target)
    except UsageError as error:
        raise UsageError(f"--to {target}: {error.message}") from None
    if isinstance(place, Stream):
        return place
    written = output_key(target, followed=True)
    if any(Path(path).resolve() == written for path in inputs):
        raise UsageError(f"--to {target} is one of the census files being converted")
    folder = place.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"--to {target}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--to {target}: cannot write in {folder}")
    if place.exists() and not os.access(place, os.W_OK):
        raise UsageError(f"--to {target}: the file cannot be written")
    return place


def _parquet(frame: pd.DataFrame, child_number: str) -> bytes:
    """The table as Parquet: every column text (a date that is not one is kept as written), ChildNumber an integer."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {name: pa.array(frame[name].to_numpy(), type=pa.int64() if name == child_number else pa.string())
               for name in frame.columns}  # fmt: skip
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()


def _write_bytes(place: Path | Stream, data: bytes) -> None:
    """Binary output as pipeline/atomic.py writes its text outputs: a new file beside the target (0600, the writer's
    temporary name), synced, then renamed over it in one step; whatever stops it, the target is as it was and the
    new file is removed. A device or FIFO (`--to` naming one) is written in place."""
    from .lifecycle import DeferredSignals
    from .pipeline.streams import Stream, write_stream
    from .pipeline.swap import temporary_name

    with DeferredSignals() as signals:
        if isinstance(place, Stream):
            write_stream(place, data, signals)
            return
        target = place
        temporary = target.with_name(temporary_name(target.name))
        created = False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            created = True
            try:
                view = memoryview(data)
                while view:
                    signals.check()
                    view = view[os.write(handle, view[: 1 << 20]) :]
                os.fsync(handle)
            finally:
                os.close(handle)
            signals.check()
            os.replace(temporary, target)
            created = False
        except OSError as error:
            raise SystemFault.of(error, target) from None
        finally:
            if created:
                with contextlib.suppress(OSError):
                    temporary.unlink()
