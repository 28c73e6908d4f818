"""What every table reader does to a header and its columns, whatever the file's format (readers/tables.py for CSV
and .xlsx, readers/parquet.py): names cleaned and mapped, blank names numbered, empty unnamed columns dropped."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..schemas.base import LINE_COLUMN
from .text import clean_name

_UNNAMED = "_unnamed_"  # a header cell left blank, numbered by position
_MAX_FIELD_BYTES = 1 << 20  # no legitimate cell in these extracts is anywhere near 1 MB


def _rename(header: list[str], column_map: Mapping[str, str], path: Path) -> list[str]:
    """Header names as the tool knows them: invisible characters removed, `columns:` applied, blanks numbered."""
    cleaned = [clean_name(h) for h in header]
    names = [column_map.get(name, name) if name else f"{_UNNAMED}{position}" for position, name in enumerate(cleaned, start=1)]
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if name.startswith(_UNNAMED):
            continue
        if name in seen:
            raise InputError(f"column {name!r} appears twice in the header", path=path, where=f"line 1, column {position}")
        seen.add(name)
    return names


def _drop_unnamed(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Columns with no name (Excel saves trailing empty columns as `,,,`) are dropped if they hold nothing."""
    for column in [c for c in frame.columns if str(c).startswith(_UNNAMED)]:
        held = frame[column].astype("string").str.strip().fillna("") != ""
        if held.any():
            position = int(str(column)[len(_UNNAMED):])
            line = int(frame.loc[held, LINE_COLUMN].iloc[0])
            raise InputError(f"column {position} has no name in the header but holds values", path=path, where=f"line {line}")
        frame = frame.drop(columns=column)
    return frame


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return text[:200]
