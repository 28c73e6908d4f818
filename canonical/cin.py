"""CIN census raw frame -> canonical deaths: one death per RC2 (died) closure."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..domain.dates import parse_dates
from ..domain.definitions import normalise_sex
from ..domain.geography import to_ons_code
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, PATH_COLUMN
from ..schemas.cin import DIED
from .records import death_records, locations, record_ids


def cin_deaths(frames: Mapping[str, pd.DataFrame], la_code: str | None, reference_date: pd.Timestamp | None) -> pd.DataFrame:
    """The census carries its own LA and reference date in each file's header, so the options are unused."""
    raw = frames["census"]
    died = raw.loc[raw["ReasonForClosure"] == DIED]
    where = locations(died[FILE_COLUMN], died[LINE_COLUMN], died.get(PATH_COLUMN))
    ids = record_ids(died["LAchildID"], where)
    sex = died["Sex"].astype(object).where(died["Sex"].notna(), died["GenderCurrent"])
    death = parse_dates(died["PersonDeathDate"]).values
    plan_start = parse_dates(died["CPPstartDate"]).values
    plan_end = parse_dates(died["CPPendDate"]).values
    plan_open = (plan_start <= death) & (plan_end.isna() | (plan_end >= death))
    return death_records(
        source="cin",
        record_id=ids,
        child_key=died["LEA"].astype(str) + "/" + ids.astype(str),
        location=where,
        birth_date=died["PersonBirthDate"],
        expected_birth_date=died["ExpectedPersonBirthDate"],
        death_date=died["PersonDeathDate"],
        sex=normalise_sex(sex),
        la_code=to_ons_code(died["LEA"].astype(object)),
        status=pd.Series("CIN", index=died.index).where(~plan_open, "CPP"),
        cpp_at_death=plan_open.astype("boolean"),
        reference_date=parse_dates(died["ReferenceDate"].astype(object)).values,
        headline_date=parse_dates(died["ReferenceDate"].astype(object)).values,  # DfE counts by census year
    )

