"""Read a CSV, .xlsx or Parquet extract into a frame of stripped strings, with each row's file and line.

Blank cells become <NA>. Encodings: UTF-8 (with or without BOM), UTF-16 (with BOM) and
Windows-1252 as saved by Excel. The delimiter is taken from the header line. A Parquet file (its `PAR1` mark, or
its name) is read by readers/parquet.py into the same frame, rows numbered from 2 as if line 1 held a header.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, SOURCE_FILE_ATTR
from .files import (
    MAX_LINE_BYTES,
    MAX_TABLE_BYTES,
    MAX_WORKBOOK_BYTES,
    MIB,
    existing_file,
    first_overlong_line,
    is_zip,
    opened_input,
    workbook_within_limits,
)
from .headers import _MAX_FIELD_BYTES, _drop_unnamed, _rename, _short
from .text import clean_name, decode_bytes

_DELIMITERS = (",", ";", "\t", "|")
_LONE_CR = re.compile(r"\r(?!\n)")


def read_table(
    path: str | Path,
    *,
    expected_columns: Iterable[str],
    column_map: Mapping[str, str] | None = None,
    parquet_columns: Collection[str] | None = None,
) -> pd.DataFrame:
    """Read one extract; `expected_columns` picks the right sheet of a workbook; `parquet_columns`, if given, are
    the only columns read of a Parquet file (readers/parquet.py). The file is read once, and those bytes are both
    parsed and hashed (readers/files.py `opened_input`)."""
    file_path = existing_file(path)
    expected = set(expected_columns)
    with opened_input(file_path) as source:
        head = source.peek(4)
        from .parquet import is_parquet, read_parquet  # here: pyarrow is imported only once a file is read

        if is_parquet(file_path, head):
            return read_parquet(source, file_path, column_map or {}, parquet_columns)
        if is_zip(head):
            source.within(MAX_WORKBOOK_BYTES, "workbook")
            data = source.read()
            workbook_within_limits(data, file_path)
            return _read_workbook(data, file_path, expected, column_map or {})
        source.within(MAX_TABLE_BYTES, "file", "TRIANGULATE_MAX_TABLE_MB")
        data = source.read()
        overlong = first_overlong_line(data)
        if overlong is not None:
            raise InputError(f"line is longer than {MAX_LINE_BYTES // MIB} MB", path=file_path, where=f"line {overlong}")
        text, _ = decode_bytes(data, file_path)
        del data  # the text holds it now: a national extract's bytes are not kept through the parse
        return _read_csv(text, file_path, column_map or {})



def _read_csv(text: str, path: Path, column_map: Mapping[str, str]) -> pd.DataFrame:
    # A lone carriage return ends a line (old Mac files; pandas reads it so): one rule for lines everywhere.
    text = _LONE_CR.sub("\n", text)
    header_end = text.find("\n")
    header_line = text if header_end < 0 else text[:header_end]
    if not header_line.strip():
        raise InputError("no header line", path=path, where="line 1")
    delimiter = max(_DELIMITERS, key=header_line.count)
    try:
        header = next(csv.reader([header_line.rstrip("\r")], delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise InputError(f"the header line is not a CSV row ({error})", path=path, where="line 1") from None
    names = _rename(header, column_map, path)
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row is longer than the header, and drops the extra cells.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                skiprows=1,
                names=names,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
                index_col=False,
                quoting=csv.QUOTE_MINIMAL,
            )
    except (pd.errors.ParserWarning, pd.errors.ParserError):
        line, problem = _first_structural_error(text, delimiter, len(names))
        raise InputError(problem, path=path, where=f"line {line}") from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=names, dtype=str)
    frame[LINE_COLUMN] = _record_lines(text, delimiter, len(frame))
    frame = _drop_unnamed(frame, path)
    return _tidy(frame, path.name)


def _record_lines(text: str, delimiter: str, records: int) -> pd.Series:
    """The physical line each record starts on: 2, 3, ... unless a quoted field spans lines."""
    body_lines = text.count("\n") - (1 if text.endswith("\n") else 0)
    if body_lines == records:
        return pd.Series(range(2, records + 2))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    starts, previous = [], 1
    next(reader, None)
    previous = reader.line_num
    for _ in reader:
        starts.append(previous + 1)
        previous = reader.line_num
    return pd.Series(starts[:records] + list(range(previous + 1, previous + 1 + records - len(starts))))


def _first_structural_error(text: str, delimiter: str, width: int) -> tuple[int | str, str]:
    """Where the CSV breaks, in the project's words and at the physical line (pandas counts rows, not lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    start = 1
    try:
        for row in reader:
            if len(row) > width:
                return start, f"row has {len(row)} fields, more than the header's {width}"
            start = reader.line_num + 1
    except csv.Error as error:
        if "eof" in str(error).lower() or "unexpected end" in str(error).lower():
            return start, "a quoted field is never closed (a \" opens here and no \" ends it)"
        return start, f"malformed CSV row ({error})"
    return "?", "malformed CSV"


def _tidy(frame: pd.DataFrame, file_label: str) -> pd.DataFrame:
    data_columns = [c for c in frame.columns if c != LINE_COLUMN and c]
    frame = frame[[*data_columns, LINE_COLUMN]]
    for column in data_columns:
        values = frame[column].astype("string").str.strip()
        too_long = values.str.len() > _MAX_FIELD_BYTES
        if bool(too_long.fillna(False).any()):
            line = int(frame.loc[too_long.fillna(False), LINE_COLUMN].iloc[0])
            raise InputError(f"field {column!r} is longer than 1 MB", path=file_label, where=f"line {line}")
        frame[column] = values.mask(values == "").astype(object)
    empty_rows = frame[data_columns].isna().all(axis=1) if data_columns else pd.Series(False, index=frame.index)
    frame = frame.loc[~empty_rows].reset_index(drop=True)
    frame[FILE_COLUMN] = file_label
    frame.attrs[SOURCE_FILE_ATTR] = file_label
    return frame


def _cell_text(value: object) -> object:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_HEADER_SEARCH_ROWS = 10  # how far down a sheet a header under title rows is looked for


@dataclass(frozen=True)
class _Sheet:
    name: str
    rows: list[list[object]]
    first: int  # expected columns in the first row
    later: int  # ... in the best of the next rows, where a header under title rows would be
    later_row: int  # that row's 1-based number (0 when no later row has more than the first)

    @property
    def score(self) -> int:
        return max(self.first, self.later)


def _header_score(row: list[object], expected: set[str], column_map: Mapping[str, str]) -> int:
    names = {column_map.get(clean_name(str(_cell_text(h))), clean_name(str(_cell_text(h)))) for h in row}
    return len(expected.intersection(names))


def _sheet(name: str, rows: list[list[object]], expected: set[str], column_map: Mapping[str, str]) -> _Sheet:
    first = _header_score(rows[0], expected, column_map)
    later, later_row = first, 0
    for number, row in enumerate(rows[1:_HEADER_SEARCH_ROWS], start=2):
        score = _header_score(row, expected, column_map)
        if score > later:
            later, later_row = score, number
    return _Sheet(name, rows, first, later, later_row)


def _filled(row: list[object]) -> int:
    return sum(1 for cell in row if str(_cell_text(cell)).strip())


def _quoted(names: list[str]) -> str:
    shown = [repr(name[:60]) for name in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _read_workbook(data: bytes, path: Path, expected: set[str], column_map: Mapping[str, str]) -> pd.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"not a readable .xlsx workbook ({_short(error)})", path=path) from None
    sheets: list[_Sheet] = []
    for sheet_name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except (CalamineError, ValueError) as error:
            raise InputError(f"sheet {sheet_name!r} cannot be read ({_short(error)})", path=path) from None
        if rows:
            sheets.append(_sheet(sheet_name, rows, expected, column_map))
    if not sheets:
        raise InputError("workbook has no data on any sheet", path=path)
    best = max(sheet.score for sheet in sheets)
    matching = [sheet for sheet in sheets if sheet.score == best]
    if best and len(matching) > 1:
        # Reading the first would silently drop the others' rows: the user must say which one is the extract.
        every = "both" if len(matching) == 2 else "all"
        raise InputError(f"sheets {_quoted([s.name for s in matching])} {every} have the expected columns; "
                         "keep one sheet or save it as CSV", path=path)  # fmt: skip
    chosen = matching[0]
    rows, sheet_name = chosen.rows, chosen.name
    if chosen.later > chosen.first and _filled(rows[0]) * 2 <= len(rows[0]):
        # A title above the header would otherwise be taken for it and blame a column "with no name".
        raise InputError(f"the header is not on the first row (row {chosen.later_row} has the expected columns); "
                         "remove the title rows above it", path=path, where=f"sheet {sheet_name!r}")  # fmt: skip
    names = _rename([str(_cell_text(h)) for h in rows[0]], column_map, path)
    body = [[_cell_text(cell) for cell in row] for row in rows[1:]]
    width = len(names)
    frame = pd.DataFrame([row[:width] + [""] * (width - len(row)) for row in body], columns=names, dtype=object)
    frame[LINE_COLUMN] = pd.RangeIndex(2, len(frame) + 2)
    return _tidy(_drop_unnamed(frame, path), f"{path.name}!{sheet_name}")
