"""SSDA903 header.csv + episodes.csv; files are recognised by their columns and paired by folder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .tables import read_table

HEADER_MARKERS = {"CHILD", "SEX", "DOB"}
EPISODE_MARKERS = {"CHILD", "DECOM", "REC"}


@dataclass(frozen=True)
class Ssda903Tables:
    header: pd.DataFrame
    episodes: pd.DataFrame


def read_ssda903(paths: Iterable[str | Path], column_map: Mapping[str, str] | None = None) -> Ssda903Tables:
    headers: list[pd.DataFrame] = []
    episodes: list[pd.DataFrame] = []
    for path in paths:
        table = read_table(path, expected_columns=HEADER_MARKERS | EPISODE_MARKERS, column_map=column_map)
        columns = set(table.columns)
        if EPISODE_MARKERS <= columns:
            episodes.append(table)
        elif HEADER_MARKERS <= columns:
            headers.append(table)
        else:
            raise InputError(
                "neither an SSDA903 header (CHILD, SEX, DOB) nor an episodes table (CHILD, DECOM, REC)",
                path=path,
                where="line 1",
            )
    if not headers or not episodes:
        missing = "header" if not headers else "episodes"
        raise InputError(
            f"SSDA903 needs both a header and an episodes table; no {missing} table was given", path=", ".join(map(str, paths))
        )
    return Ssda903Tables(_stack(headers), _stack(episodes))


def _stack(tables: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
