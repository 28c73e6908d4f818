"""SSDA903 raw tables: header.csv (one row per child) and episodes.csv (one row per episode)."""

from __future__ import annotations

import pandas as pd

from ..domain.definitions import LETTERS_OR_NUMBERS
from ..domain.geography import is_known_la_code
from .base import FieldSpec, RuleRegistry, TableSpec, duplicated_ids

REASON_EPISODE_CEASED = (
    "X1", "E1", "E11", "E12", "E2", "E3", "E4", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47",
    "E48", "E5", "E6", "E7", "E8", "E9", "E14", "E15", "E16", "E17",
)  # fmt: skip
DIED = "E2"
LA_COLUMN = "LA"  # optional extension: an LA code per header row in a multi-LA extract

header_rules = RuleRegistry("ssda903 header")
episode_rules = RuleRegistry("ssda903 episodes")


@header_rules.register("invalid.LA", "the optional LA column holds neither a 3-digit DfE nor an ONS code of an English LA")
def _known_la(frame: pd.DataFrame) -> pd.Series:
    if LA_COLUMN not in frame:
        return pd.Series(True, index=frame.index)
    return frame[LA_COLUMN].isna() | is_known_la_code(frame[LA_COLUMN])


@header_rules.register("duplicate.record", "CHILD appears on two header rows")
def _child_once(frame: pd.DataFrame) -> pd.Series:
    return duplicated_ids(frame, ["CHILD"])


HEADER = TableSpec(
    "SSDA903 header",
    (
        FieldSpec("CHILD", required=True, must_exist=True),
        FieldSpec("SEX", required=True, must_exist=True, codes=LETTERS_OR_NUMBERS),
        FieldSpec("DOB", required=True, must_exist=True, is_date=True),
        FieldSpec("ETHNIC"),
        FieldSpec("UPN"),
        FieldSpec("MOTHER"),
        FieldSpec("MC_DOB", is_date=True),
    ),
    header_rules,
)

EPISODES = TableSpec(
    "SSDA903 episodes",
    (
        FieldSpec("CHILD", required=True, must_exist=True),
        FieldSpec("DECOM", required=True, must_exist=True, is_date=True),
        FieldSpec("RNE"),
        FieldSpec("LS"),
        FieldSpec("CIN"),
        FieldSpec("PLACE"),
        FieldSpec("PLACE_PROVIDER"),
        FieldSpec("DEC", must_exist=True, is_date=True),
        FieldSpec("REC", must_exist=True, codes=REASON_EPISODE_CEASED),
        FieldSpec("REASON_PLACE_CHANGE"),
        FieldSpec("HOME_POST"),
        FieldSpec("PL_POST"),
        FieldSpec("URN"),
    ),
    episode_rules,
)
