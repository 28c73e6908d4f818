"""NCMD child death extract (extract-formats.md section 3): one row per child death."""

from __future__ import annotations

import pandas as pd

from ..domain.definitions import SEX_LETTERS, SOCIAL_CARE_STATUSES
from .base import FieldSpec, RuleRegistry, TableSpec, duplicated_ids, register_la_code_rule

PRIMARY_CATEGORIES = tuple(str(n) for n in range(1, 11))
ABUSE_OR_NEGLECT = "1"

rules = RuleRegistry("ncmd")


@rules.register("duplicate.record", "ncmd_case_id appears on two rows")
def _case_once(frame: pd.DataFrame) -> pd.Series:
    return duplicated_ids(frame, ["ncmd_case_id"])


register_la_code_rule(rules)


SPEC = TableSpec(
    "NCMD",
    (
        FieldSpec("ncmd_case_id", required=True, must_exist=True),
        FieldSpec("child_id"),
        FieldSpec("la_code", required=True, must_exist=True),
        FieldSpec("sex", required=True, must_exist=True, codes=SEX_LETTERS),
        FieldSpec("ethnicity"),
        FieldSpec("date_of_birth", required=True, must_exist=True, is_date=True),
        FieldSpec("date_of_death", required=True, must_exist=True, is_date=True),
        FieldSpec("death_notified_date", is_date=True),
        FieldSpec("review_completed_date", is_date=True),
        FieldSpec("primary_category", codes=PRIMARY_CATEGORIES),
        FieldSpec("social_care_status", required=True, must_exist=True, codes=SOCIAL_CARE_STATUSES),
        FieldSpec("modifiable_factors", codes=("Y", "N", "U")),
    ),
    rules,
)
