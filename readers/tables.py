"""Read a CSV or .xlsx extract into a frame of stripped strings, with each row's file and line.

Blank cells become <NA>. Encodings: UTF-8 (with or without BOM), UTF-16 (with BOM) and
Windows-1252 as saved by Excel. The delimiter is taken from the header line.
"""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from .files import (
    MAX_LINE_BYTES,
    MAX_TABLE_BYTES,
    MIB,
    existing_file,
    first_overlong_line,
    is_zip_container,
    leading_bytes,
    within_size,
    workbook_within_limits,
)

_DELIMITERS = (",", ";", "\t", "|")
_MAX_FIELD_BYTES = 1 << 20  # no legitimate cell in these extracts is anywhere near 1 MB


def read_table(
    path: str | Path,
    *,
    expected_columns: Iterable[str],
    column_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read one extract; `expected_columns` picks the right sheet of a workbook."""
    file_path = existing_file(path)
    expected = set(expected_columns)
    if is_zip_container(file_path):
        workbook_within_limits(file_path)
        return _read_workbook(file_path, expected, column_map or {})
    within_size(file_path, MAX_TABLE_BYTES, "file", "TRIANGULATE_MAX_TABLE_MB")
    overlong = first_overlong_line(file_path)
    if overlong is not None:
        raise InputError(f"line is longer than {MAX_LINE_BYTES // MIB} MB", path=file_path, where=f"line {overlong}")
    return _read_csv(file_path, column_map or {})


def _rename(header: list[str], column_map: Mapping[str, str], path: Path) -> list[str]:
    names = [column_map.get(name, name) for name in (h.strip() for h in header)]
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            continue
        if name in seen:
            raise InputError(f"column {name!r} appears twice in the header", path=path, where=f"line 1, column {position}")
        seen.add(name)
    return names


def _decode_sample(sample: bytes) -> str:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise UnicodeError("binary")
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the sample boundary is still UTF-8.
        if error.start < len(sample) - 4:
            return "cp1252"
    return "utf-8"


def _read_csv(path: Path, column_map: Mapping[str, str]) -> pd.DataFrame:
    try:
        encoding = _decode_sample(leading_bytes(path, 1 << 16))
    except UnicodeError:
        raise InputError("not a text file (binary content)", path=path) from None
    try:
        with path.open("r", encoding=encoding, newline="") as handle:
            header_line = handle.readline()
    except UnicodeDecodeError:
        encoding = "cp1252"
        with path.open("r", encoding=encoding, newline="") as handle:
            header_line = handle.readline()
    if not header_line.strip():
        raise InputError("no header line", path=path, where="line 1")
    delimiter = max(_DELIMITERS, key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delimiter))
    names = _rename(header, column_map, path)
    try:
        frame = _parse_csv(path, encoding, delimiter, names)
    except UnicodeDecodeError:
        if encoding != "utf-8":
            raise InputError("cannot decode as UTF-8 or Windows-1252", path=path) from None
        frame = _parse_csv(path, "cp1252", delimiter, names)
    return frame


def _parse_csv(path: Path, encoding: str, delimiter: str, names: list[str]) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row is longer than the header, and drops the extra cells.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                sep=delimiter,
                encoding=encoding,
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
    except pd.errors.ParserWarning:
        line = _first_ragged_line(path, encoding, delimiter, len(names))
        raise InputError(f"row has more fields than the header's {len(names)}", path=path, where=f"line {line}") from None
    except pd.errors.ParserError as error:
        raise InputError(f"malformed CSV: {_short(error)}", path=path) from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=names, dtype=str)
    frame[LINE_COLUMN] = pd.RangeIndex(2, len(frame) + 2)
    return _tidy(frame, path.name)


def _first_ragged_line(path: Path, encoding: str, delimiter: str, width: int) -> int | str:
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        for row in reader:
            if len(row) > width:
                return reader.line_num
    return "?"


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return text[:200]


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


def _read_workbook(path: Path, expected: set[str], column_map: Mapping[str, str]) -> pd.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"not a readable .xlsx workbook ({_short(error)})", path=path) from None
    best: tuple[int, str, list[list[object]]] | None = None
    for sheet_name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except (CalamineError, ValueError) as error:
            raise InputError(f"sheet {sheet_name!r} cannot be read ({_short(error)})", path=path) from None
        if not rows:
            continue
        header = [column_map.get(str(h).strip(), str(h).strip()) for h in rows[0]]
        score = len(expected.intersection(header))
        if best is None or score > best[0]:
            best = (score, sheet_name, rows)
    if best is None:
        raise InputError("workbook has no data on any sheet", path=path)
    _, sheet_name, rows = best
    names = _rename([str(h) for h in rows[0]], column_map, path)
    body = [[_cell_text(cell) for cell in row] for row in rows[1:]]
    width = len(names)
    frame = pd.DataFrame([row[:width] + [""] * (width - len(row)) for row in body], columns=names, dtype=object)
    frame[LINE_COLUMN] = pd.RangeIndex(2, len(frame) + 2)
    return _tidy(frame, f"{path.name}!{sheet_name}")
