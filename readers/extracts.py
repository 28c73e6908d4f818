"""NCMD and CSPRP child-level extracts (CSV or .xlsx): one raw frame of strings per source."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .tables import read_table


def read_extract(
    paths: Iterable[str | Path], expected_columns: Iterable[str], column_map: Mapping[str, str] | None = None
) -> pd.DataFrame:
    expected = tuple(expected_columns)
    tables = [read_table(path, expected_columns=expected, column_map=column_map) for path in paths]
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
