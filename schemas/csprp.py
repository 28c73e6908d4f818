"""CSPRP serious incident notification extract (extract-formats.md section 4)."""

from __future__ import annotations

import pandas as pd

from ..domain.definitions import SEX_LETTERS
from .base import FieldSpec, RuleRegistry, TableSpec, duplicated_ids, register_la_code_rule

NATURES = ("death", "serious_harm", "other")
INVOLVEMENT = ("current", "previous", "never", "unknown")
ABUSE_NEGLECT = ("known", "suspected", "not_suspected")
DEATH = "death"

rules = RuleRegistry("csprp")


@rules.register("duplicate.record", "sin_id appears on two rows")
def _notification_once(frame: pd.DataFrame) -> pd.Series:
    return duplicated_ids(frame, ["sin_id"])


@rules.register("missing.date_of_birth", "neither date_of_birth nor age_years is recorded")
def _age_recorded(frame: pd.DataFrame) -> pd.Series:
    return frame["date_of_birth"].notna() | frame["age_years"].notna()


@rules.register("invalid.age_years", "age_years is not a whole number of years from 0 to 25")
def _whole_years(frame: pd.DataFrame) -> pd.Series:
    text = frame["age_years"].astype("string")
    digits = text.str.fullmatch(r"\d{1,2}").fillna(False)
    return frame["age_years"].isna() | (digits & (pd.to_numeric(text.where(digits)) <= 25).fillna(False))


register_la_code_rule(rules)


SPEC = TableSpec(
    "CSPRP",
    (
        FieldSpec("sin_id", required=True, must_exist=True),
        FieldSpec("child_id"),
        FieldSpec("la_code", required=True, must_exist=True),
        FieldSpec("incident_date", required=True, must_exist=True, is_date=True),
        FieldSpec("notification_date", required=True, must_exist=True, is_date=True),
        FieldSpec("date_of_birth", is_date=True),
        FieldSpec("age_years"),
        FieldSpec("sex", required=True, must_exist=True, codes=SEX_LETTERS),
        FieldSpec("ethnicity"),
        FieldSpec("nature", required=True, must_exist=True, codes=NATURES),
        FieldSpec("review_nature", codes=NATURES),
        FieldSpec("looked_after", required=True, must_exist=True, codes=INVOLVEMENT),
        FieldSpec("cpp", codes=INVOLVEMENT),
        FieldSpec("cin", codes=INVOLVEMENT),
        FieldSpec("abuse_neglect", required=True, must_exist=True, codes=ABUSE_NEGLECT),
        FieldSpec("likely_cause"),
    ),
    rules,
)
