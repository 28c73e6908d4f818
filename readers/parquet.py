"""Parquet sources: a table's columns as the text a CSV of it would hold, each row located `file.parquet:N`.

Read with pyarrow (pandas' own Parquet engine), imported only when a Parquet file is read. A file is Parquet by
its magic bytes (`PAR1` at its start and end), or by its `.parquet` name. Each column becomes text as the CSV
reader presents a cell (readers/tables.py: stripped, blank is missing), whatever its Arrow type:

* text as it is; an integer or a decimal as its digits (`12`, `12.50`; an integer column with nulls stays whole);
* a date as `YYYY-MM-DD`, and so a timestamp, as the day it falls on (every date the tool reads is a day); one with
  a time zone (an instant) on its day in England (Europe/London), whatever zone it was stored or is served in;
* a float as Python writes it (`12.5`, `12.0`: as pandas writes a float column to CSV). A whole float keeps its
  `.0`: only an integer column's values are whole numbers by type. Store counts, codes and ids as integers or text;
* a UUID as its 8-4-4-4-12 text; true/false as `true`/`false`; bytes as UTF-8 text (bytes that are not UTF-8 with
  `\xff` escapes, as the database reader writes them; a string column that is not UTF-8 is refused); a
  list, struct or map as JSON; anything else as Arrow casts it to text.

Rows are numbered from 2, as if line 1 held the header, so the same data gives the same locations from CSV and
Parquet: `LINE_COLUMN` is the row number + 1. Limits: the file's bytes as a CSV's (`TRIANGULATE_MAX_TABLE_MB`), and
what its metadata says it unpacks to, eight times that.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..domain.dates import ENGLAND_TIME_ZONE
from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, SOURCE_FILE_ATTR
from .files import MAX_TABLE_BYTES, HashedInput, refuse_size
from .headers import _MAX_FIELD_BYTES, _UNNAMED, _drop_unnamed, _rename, _short
from .text import bytes_text

if TYPE_CHECKING:
    import pyarrow as pa

MAGIC = b"PAR1"
SUFFIX = ".parquet"
MAX_UNPACKED_BYTES = 8 * MAX_TABLE_BYTES  # a Parquet file's columns once decompressed, as its metadata declares
_SAMPLE = 1 << 16  # rows that tell a column of repeated values from one of ids


def is_parquet(path: Path, head: bytes) -> bool:
    """Parquet by its first bytes, or by its name (a file named .parquet without the mark is refused as corrupt)."""
    return head[:4] == MAGIC or path.suffix.lower() == SUFFIX


def folder_files(folder: Path) -> tuple[Path, ...]:
    """Every `*.parquet` directly in `folder`, sorted by name. Names starting `.` or `_` are not data (Spark's
    `_SUCCESS`, `_metadata`; a system's hidden files), as pyarrow's own dataset reader skips them."""
    try:
        found = sorted(p for p in Path(folder).iterdir()
                       if p.suffix.lower() == SUFFIX and not p.name.startswith((".", "_")) and p.is_file())  # fmt: skip
    except OSError as error:
        raise InputError(f"the folder cannot be listed ({error.strerror or error})", path=folder) from None
    if not found:
        others = sorted({p.suffix.lower() or "(no suffix)" for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")})
        held = f"; it holds {', '.join(others)} files: name them, e.g. {Path(folder) / ('*' + others[0])}" if others and others[0] != "(no suffix)" else ""
        raise InputError(f"is a folder, not a regular file, and holds no .parquet file{held}", path=folder)
    return tuple(found)


def expand_folders(paths: Iterable[Path]) -> tuple[Path, ...]:
    """`paths` with each folder replaced by its Parquet files (`folder_files`), in order."""
    out: list[Path] = []
    for path in paths:
        out.extend(folder_files(path) if Path(path).is_dir() else [Path(path)])
    return tuple(out)


def read_parquet(source: HashedInput, path: Path, column_map: Mapping[str, str], only: Collection[str] | None = None) -> pd.DataFrame:
    """One Parquet file, read once through `source` (its bytes are the ones hashed), as readers/tables.py reads a CSV;
    with `only`, just the columns named so (after `columns:`) become text (see `frame_of_strings`)."""
    source.within(MAX_TABLE_BYTES, "file", "TRIANGULATE_MAX_TABLE_MB")
    table = parquet_table(source.read(), path)
    return frame_of_strings(table, path.name, column_map=column_map, path=path, only=only)


def parquet_table(data: bytes, path: Path) -> pa.Table:
    """The Arrow table in a Parquet file's bytes; a file that is not one, or is corrupt, is one line naming it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(data) < 12 or data[:4] != MAGIC or data[-4:] != MAGIC:
        raise InputError("not a Parquet file (no PAR1 mark at its start and end)", path=path)
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        metadata = parquet.metadata
        # Row groups' sizes, never a column chunk's metadata: pyarrow 26 aborts the process (an uncaught C++ exception)
        # building a corrupt chunk's, where reading the same file raises an error.
        unpacked = sum(metadata.row_group(group).total_byte_size for group in range(metadata.num_row_groups))
        refuse_size(unpacked, MAX_UNPACKED_BYTES, "the unpacked table", path, "TRIANGULATE_MAX_TABLE_MB")
        return parquet.read(use_threads=True)
    except InputError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError, IndexError, NotImplementedError, EOFError) as error:
        # pyarrow's errors (corrupt pages, bad metadata, an unsupported encoding) are ValueError, OSError and the like.
        raise InputError(f"not a readable Parquet file ({_short(error)})", path=path) from None


def frame_of_strings(
    table: pa.Table,
    location_label: str,
    *,
    column_map: Mapping[str, str] | None = None,
    path: Path | str | None = None,
    first_line: int = 2,
    only: Collection[str] | None = None,
) -> pd.DataFrame:
    """Any Arrow table as the frame of stripped strings readers/tables.py gives: columns named as the tool knows them
    (`columns:` applied, invisible characters removed, a name given twice refused), blanks <NA>, rows with nothing in
    them dropped, `FILE_COLUMN` = `location_label` and `LINE_COLUMN` = `first_line`, `first_line` + 1, ... (a later
    chunk of one table passes the line its first row has). `path` names the input in errors (default: the label).
    With `only`, the other named columns are left out of the frame and never made text (a census's UPNs: no check
    reads them, and one of a type with no text form cannot refuse the file), but a row holding something only there
    is still a row, as it is in a CSV.

    The cells are tidied as readers/tables.py `_tidy` tidies a CSV's (pandas' strip of a pyarrow string is Arrow's
    whitespace trim, used here), but in Arrow and once per distinct value where values repeat: a national table is
    a few thousand dates and codes repeated a million times, and each repeat then shares one Python string."""
    import pyarrow as pa

    where = path if path is not None else location_label
    names = _rename([str(name) for name in table.column_names], column_map or {}, Path(str(where)))
    lines = np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
    columns: dict[str, np.ndarray] = {}
    named = [name for name in names if not name.startswith(_UNNAMED)]
    nothing = np.full(table.num_rows, bool(named))  # rows with nothing in any named column (none: every row stays)
    for position, name in enumerate(names):
        if only is not None and name in named and name not in only:
            nothing &= _blank(table.column(position))
            continue
        try:
            columns[name], blank = _cells(_strings(table.column(position), name, where), name, location_label, lines)
        except (pa.ArrowInvalid, UnicodeDecodeError):  # a string column's bytes are checked only when it is used
            raise InputError(f"column {name!r} holds bytes that are not UTF-8 text", path=where) from None
        if name in named:
            nothing &= blank
    frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows), dtype=object)
    frame[LINE_COLUMN] = lines
    frame = _drop_unnamed(frame, Path(str(where)))
    frame = frame.loc[~nothing].reset_index(drop=True)
    frame[FILE_COLUMN] = location_label
    frame.attrs[SOURCE_FILE_ATTR] = location_label
    return frame


def _blank(column: pa.ChunkedArray) -> np.ndarray:
    """Where a column left out of the frame holds nothing, judged in Arrow: null, or text that is only whitespace."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        try:
            return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), True).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # not UTF-8: something is there
            pass
    return pc.is_null(column).to_numpy(zero_copy_only=False)


def _cells(strings: pa.ChunkedArray, name: str, label: str, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A string column's cells, stripped, blank as <NA> (an object array), and where each is blank."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(strings):
        return np.array([], dtype=object), np.array([], dtype=bool)
    sample = strings.slice(0, _SAMPLE)
    if pc.count_distinct(sample, mode="all").as_py() * 2 > len(sample):  # mostly distinct (ids): row by row
        trimmed = pc.utf8_trim_whitespace(strings)
        values = trimmed.to_numpy(zero_copy_only=False)
        blank = pc.fill_null(pc.equal(trimmed, ""), True).to_numpy(zero_copy_only=False)
        positions = None
    else:  # repeated values (dates, codes): each distinct value once
        distinct = pc.unique(strings)
        trimmed = pc.utf8_trim_whitespace(distinct)
        texts = trimmed.to_numpy(zero_copy_only=False)
        blank_texts = pc.fill_null(pc.equal(trimmed, ""), True).to_numpy(zero_copy_only=False)
        texts[blank_texts] = pd.NA
        positions = pc.index_in(strings, value_set=distinct).to_numpy(zero_copy_only=False).astype(np.int64)
        values, blank = texts[positions], blank_texts[positions]
    values[blank] = pd.NA
    lengths = pc.utf8_length(trimmed)
    if (pc.max(lengths).as_py() or 0) > _MAX_FIELD_BYTES:
        over = np.flatnonzero(pc.greater(lengths, pa.scalar(_MAX_FIELD_BYTES)).to_numpy(zero_copy_only=False))
        row = int(over[0]) if positions is None else int(np.flatnonzero(np.isin(positions, over))[0])
        raise InputError(f"field {name!r} is longer than 1 MB", path=label, where=f"line {lines[row]}")
    return values, blank


def _strings(column: pa.ChunkedArray, name: str, where: object) -> pa.ChunkedArray:
    """One column as Arrow strings (null where null), by its Arrow type (see the module's docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column
    if pa.types.is_null(kind):
        return pa.chunked_array([pa.nulls(len(column), pa.string())])
    if pa.types.is_floating(kind):
        return pa.chunked_array([pa.array(_floats(column), pa.string())])
    if pa.types.is_timestamp(kind):
        return pa.chunked_array([pa.array(_by_value(column, _timestamp_text), pa.string())])
    if getattr(kind, "extension_name", None) == "arrow.uuid":  # 16 raw bytes: as 8-4-4-4-12 text
        storage = pa.chunked_array([chunk.storage for chunk in column.chunks], kind.storage_type)
        return pa.chunked_array([pa.array(_by_value(storage, lambda value: str(uuid.UUID(bytes=value))), pa.string())])  # type: ignore[arg-type]
    if pa.types.is_nested(kind):  # rare in an extract, and not hashable for pc.unique: a call per row
        return pa.chunked_array([pa.array([None if value is None else json.dumps(value, default=str, ensure_ascii=False)
                                           for value in column.to_pylist()], pa.string())])  # fmt: skip
    try:
        return pc.cast(column, pa.string())
    except pa.ArrowInvalid:
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
            # Bytes, not text (a digest, a scanned form): as the database reader writes bytes, so a column no check
            # reads never refuses the file.
            return pa.chunked_array([pa.array(_by_value(column, bytes_text), pa.string())])
        raise InputError(f"column {name!r} holds bytes that are not UTF-8 text", path=where) from None
    except pa.ArrowNotImplementedError:
        raise InputError(f"column {name!r} is of type {kind}, which has no text form", path=where) from None


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """`12.5`, `12.0`, `1e-07` (numpy's shortest repr of the column's own precision); NaN and null are blank."""
    values = column.to_numpy(zero_copy_only=False)
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([*(str(value) for value in distinct), None], dtype=object)
    return texts[codes]  # -1 (NaN or null): the last, None


def _by_value(column: pa.ChunkedArray, text: Callable[[object], str]) -> np.ndarray:
    """Each distinct value through `text` (a Python call per distinct value, not per row); nulls None."""
    import pyarrow.compute as pc

    distinct = pc.unique(column)
    texts = np.array([None if value is None else text(value) for value in _python_values(distinct)] + [None], dtype=object)
    positions = pc.index_in(column, value_set=distinct).fill_null(len(distinct))
    return texts[positions.to_numpy(zero_copy_only=False).astype(np.int64)] if len(column) else np.array([], dtype=object)


def _python_values(values: pa.Array) -> list[object]:
    """Each value as Python sees it; one Python cannot hold (a timestamp past year 9999) as Arrow's own text."""
    import pyarrow as pa

    try:
        return values.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):
        out: list[object] = []
        for scalar in values:
            try:
                out.append(scalar.as_py())
            except (ValueError, OverflowError, pa.ArrowException):
                out.append(_Written(str(scalar.cast(pa.string()))))
        return out


class _Written(str):
    """A value Python cannot hold, already as Arrow writes it."""


def _timestamp_text(value: object) -> str:
    """A timestamp as the day it falls on: every date the tool reads is a day, and a typed timestamp is one whatever
    its time of day. An instant (with a time zone) falls on its day in England, whatever zone it was stored or is
    served in: 23:00 UTC on 31 May in summer is 1 June, midnight UTC (as pandas and Spark keep a date) is that day."""
    if isinstance(value, _Written):
        return str(value)
    if getattr(value, "tzinfo", None) is not None:
        try:
            value = value.astimezone(ZoneInfo(ENGLAND_TIME_ZONE))  # type: ignore[attr-defined]
        except (OverflowError, ValueError):  # year 1 or 9999 at the edge of what Python holds: its own day
            pass
    return str(value.date().isoformat())  # type: ignore[attr-defined]
