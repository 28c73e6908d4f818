"""CIN census raw frame: one row per CINdetails episode, and one for a child with none (readers/cin.py)."""

from __future__ import annotations

import pandas as pd

from ..domain.definitions import GENDER_CURRENT_CODES, LETTERS_OR_NUMBERS
from ..domain.geography import is_known_la_code
from .base import FieldSpec, RuleRegistry, TableSpec

CLOSURE_REASONS = tuple(f"RC{n}" for n in range(1, 10))
DIED = "RC2"
CHILD_ORDINAL = "_child"  # which Child element a row (one per CINdetails episode) came from

rules = RuleRegistry("cin")


@rules.register("invalid.LEA", "the header's LEA is neither a 3-digit DfE nor an ONS code of an English LA on the shipped list")
def _known_lea(frame: pd.DataFrame) -> pd.Series:
    # Every row of a file carries its header's LEA: each is named, as each death would lose its LA.
    return frame["LEA"].isna() | is_known_la_code(frame["LEA"])  # each distinct code looked at once


@rules.register("missing.sex", "neither GenderCurrent nor Sex is recorded")
def _sex_recorded(frame: pd.DataFrame) -> pd.Series:
    return frame["GenderCurrent"].notna() | frame["Sex"].notna()


@rules.register("missing.birth_date", "neither PersonBirthDate nor ExpectedPersonBirthDate is recorded")
def _birth_date_recorded(frame: pd.DataFrame) -> pd.Series:
    return frame["PersonBirthDate"].notna() | frame["ExpectedPersonBirthDate"].notna()


@rules.register("death.date_without_reason", "PersonDeathDate recorded without an RC2 (died) closure")
def _death_date_has_reason(frame: pd.DataFrame) -> pd.Series:
    closed_by_death = (frame["ReasonForClosure"] == DIED).groupby(frame[CHILD_ORDINAL]).transform("any")
    return frame["PersonDeathDate"].isna() | closed_by_death


@rules.register("duplicate.record", "the same LAchildID appears in two Child elements of one LA's census")
def _one_child_element_per_id(frame: pd.DataFrame) -> pd.Series:
    keyed = frame["LAchildID"].notna()
    census = ["LEA", "ReferenceDate", "LAchildID"]
    elements = frame.groupby(census, observed=True, dropna=True)[CHILD_ORDINAL].transform("nunique")
    return ~keyed | (elements.reindex(frame.index).fillna(1) <= 1)


SPEC = TableSpec(
    "CIN census",
    (
        FieldSpec("LEA", must_exist=True),
        FieldSpec("ReferenceDate", must_exist=True, is_date=True),
        FieldSpec("LAchildID", required=True, must_exist=True),
        FieldSpec("GenderCurrent", codes=GENDER_CURRENT_CODES),
        FieldSpec("Sex", codes=LETTERS_OR_NUMBERS),
        FieldSpec("PersonBirthDate", is_date=True),
        FieldSpec("ExpectedPersonBirthDate", is_date=True),
        FieldSpec("PersonDeathDate", is_date=True),
        FieldSpec("CINreferralDate", required=True, must_exist=True, is_date=True),
        FieldSpec("CINclosureDate", is_date=True),
        FieldSpec("ReasonForClosure", codes=CLOSURE_REASONS),
        FieldSpec("CPPstartDate", is_date=True),
        FieldSpec("CPPendDate", is_date=True),
    ),
    rules,
)
