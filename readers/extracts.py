"""NCMD and CSPRP child-level extracts (CSV, .xlsx or Parquet): one raw frame of strings per source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..schemas.base import TableSpec, refuse_absent_columns
from .tables import read_table


def read_extract(paths: Iterable[str | Path], spec: TableSpec, column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Every file of a source as one frame. Each file must hold the required columns itself: joined, one file's
    column would hide another's lack of it (its rows read as blanks, not refused)."""
    tables = [read_table(path, expected_columns=spec.columns, column_map=column_map) for path in paths]
    if len(tables) == 1:
        return tables[0]
    for table in tables:
        refuse_absent_columns(table, spec)
    return pd.concat(tables, ignore_index=True)
