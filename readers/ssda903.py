"""SSDA903: header.csv + episodes.csv, or the return as one XML file, in any mix.

CSV files are recognised by their columns; an XML file (its first character is `<`) carries both
tables (`ssda903_xml.py`). The return's other tables (OC2, OC3, AD1, reviews, ...) arriving as
CSVs are not needed for deaths: they are skipped with a note rather than refusing the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..schemas.base import TableSpec, refuse_absent_columns
from ..schemas.ssda903 import EPISODES, HEADER
from .files import existing_file
from .ssda903_xml import looks_like_xml, read_ssda903_xml
from .tables import read_table

HEADER_MARKERS = {"CHILD", "SEX", "DOB"}
EPISODE_MARKERS = {"CHILD", "DECOM", "REC"}
HEADER_ONLY = {"ETHNIC", "UPN", "MOTHER", "MC_DOB"}  # in the header table and in none of the others

# The return's other tables (DfE column names), each by columns no header or episodes table has.
OTHER_TABLES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"IN_TOUCH", "ACTIV", "ACCOM"}), "an OC3 (care leavers) table"),
    (frozenset({"CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS"}), "an OC2 (outcomes) table"),
    (frozenset({"DATE_INT", "DATE_MATCH"}), "an AD1 (adoption) table"),
    (frozenset({"DATE_PLACED", "REASON_PLACED_CEASED"}), "a placed for adoption table"),
    (frozenset({"PREV_PERM", "DATE_PERM"}), "a previous permanence table"),
    (frozenset({"REVIEW", "REVIEW_CODE"}), "a reviews table"),
    (frozenset({"MISSING", "MIS_START"}), "a missing episodes table"),
    (frozenset({"SW_ID", "SW_DECOM"}), "a social worker episodes table"),
    (frozenset({"DOLO_START", "DOLO_END"}), "a deprivation of liberty table"),
    (frozenset({"DUC"}), "a UASC table"),  # CHILD, SEX, DOB, DUC: a header's markers, so checked after HEADER_ONLY
)


@dataclass(frozen=True)
class Ssda903Tables:
    header: pd.DataFrame
    episodes: pd.DataFrame
    skipped: tuple[str, ...] = ()  # one note per file of another 903 table, e.g. "oc3.csv: an OC3 ... ; skipped"


def other_table(columns: set[str]) -> str | None:
    """What another 903 table a CSV with these columns is, or None."""
    for marks, what in OTHER_TABLES:
        if marks <= columns:
            return what
    return None


def read_ssda903(paths: Iterable[str | Path], column_map: Mapping[str, str] | None = None) -> Ssda903Tables:
    paths = list(paths)
    headers: list[pd.DataFrame] = []
    episodes: list[pd.DataFrame] = []
    skipped: list[str] = []
    for path in paths:
        if looks_like_xml(existing_file(path)):
            header, episode = read_ssda903_xml(path, column_map)
            headers.append(header)
            episodes.append(episode)
            continue
        table = read_table(path, expected_columns=HEADER_MARKERS | EPISODE_MARKERS, column_map=column_map)
        columns = set(table.columns)
        other = other_table(columns)
        if EPISODE_MARKERS <= columns:
            episodes.append(table)
        elif HEADER_MARKERS <= columns and (columns & HEADER_ONLY or other is None):
            headers.append(table)
        elif other is not None:
            skipped.append(f"{path}: {other}, not needed for deaths; skipped")
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
    return Ssda903Tables(_stack(headers, HEADER), _stack(episodes, EPISODES), tuple(skipped))


def _stack(tables: list[pd.DataFrame], spec: TableSpec) -> pd.DataFrame:
    """The files of one table as one. Each must hold the required columns itself: joined, one file's column would
    hide another's lack of it (an episodes file without DEC read as episodes that never ended)."""
    if len(tables) == 1:
        return tables[0]
    for table in tables:
        refuse_absent_columns(table, spec)
    return pd.concat(tables, ignore_index=True)
