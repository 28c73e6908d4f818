"""SSDA903 header.csv + episodes.csv; files are recognised by their columns and paired by folder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .tables import FILE_COLUMN, LINE_COLUMN, read_table

HEADER_MARKERS = {"CHILD", "SEX", "DOB"}
EPISODE_MARKERS = {"CHILD", "DECOM", "REC"}
LA_COLUMN = "LA"  # optional extension: an LA code per row in a multi-LA extract


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


def ssda903_deaths(tables: Ssda903Tables, *, la_code: str | None, reference_date: pd.Timestamp | None) -> pd.DataFrame:
    """One canonical death per episode ceased with REC=E2; DEC is the date of death."""
    from ..canonical import death_records, locations, normalise_sex
    from ..geography import to_ons_code
    from ..schemas.ssda903 import DIED

    died = tables.episodes.loc[tables.episodes["REC"] == DIED]
    header = tables.header.drop_duplicates("CHILD")
    header_columns = ["CHILD", "SEX", "DOB"] + ([LA_COLUMN] if LA_COLUMN in header else [])
    joined = died.drop(columns=[c for c in ("SEX", "DOB") if c in died]).merge(
        header[header_columns], on="CHILD", how="left", suffixes=("", "_header")
    )
    joined.index = died.index
    if LA_COLUMN in joined:
        la = to_ons_code(joined[LA_COLUMN])
    else:
        la = pd.Series(la_code, index=joined.index, dtype=object)
        la = to_ons_code(la) if la_code else la
    return death_records(
        source="ssda903",
        record_id=joined["CHILD"],
        child_key=joined["CHILD"].astype(str),
        location=locations(joined[FILE_COLUMN], joined[LINE_COLUMN]),
        birth_date=joined["DOB"],
        death_date=joined["DEC"],
        sex=normalise_sex(joined["SEX"]),
        la_code=la,
        status=pd.Series("LAC", index=joined.index),
        reference_date=reference_date,
    )
