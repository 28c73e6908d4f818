"""NCMD and CSPRP extracts -> canonical deaths."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..domain.dates import parse_dates
from ..domain.definitions import SOCIAL_CARE_STATUSES, normalise_sex
from ..domain.geography import to_ons_code
from ..schemas.base import FILE_COLUMN, LINE_COLUMN
from ..schemas.csprp import DEATH
from ..schemas.ncmd import ABUSE_OR_NEGLECT
from .records import death_records, locations, record_ids


def ncmd_deaths(frames: Mapping[str, pd.DataFrame], la_code: str | None, reference_date: pd.Timestamp | None) -> pd.DataFrame:
    """One canonical death per row of the extract."""
    raw = frames["deaths"]
    where = locations(raw[FILE_COLUMN], raw[LINE_COLUMN])
    ids = record_ids(raw["ncmd_case_id"], where)
    status = raw["social_care_status"].where(raw["social_care_status"].isin(SOCIAL_CARE_STATUSES), "UNKNOWN")
    return death_records(
        source="ncmd",
        record_id=ids,
        child_id=raw["child_id"],
        child_key=raw["child_id"].astype(object).where(raw["child_id"].notna(), ids),
        location=where,
        birth_date=raw["date_of_birth"],
        death_date=raw["date_of_death"],
        sex=normalise_sex(raw["sex"]),
        la_code=to_ons_code(raw["la_code"]),
        status=status,
        cpp_at_death=(status == "CPP").astype("boolean"),
        category=raw["primary_category"],
        abuse_neglect=(raw["primary_category"] == ABUSE_OR_NEGLECT).astype("boolean"),
        reference_date=reference_date,
    )


def _csprp_status(raw: pd.DataFrame) -> pd.Series:
    looked_after, cpp, cin = raw["looked_after"], raw["cpp"], raw["cin"]
    involvement = pd.concat([looked_after, cpp, cin], axis=1)
    status = pd.Series("UNKNOWN", index=raw.index, dtype=object)
    status[(involvement == "never").all(axis=1)] = "NEVER"
    status[(involvement == "previous").any(axis=1)] = "PREVIOUS"
    status[cin == "current"] = "CIN"
    status[cpp == "current"] = "CPP"
    status[looked_after == "current"] = "LAC"
    return status


def csprp_deaths(frames: Mapping[str, pd.DataFrame], la_code: str | None, reference_date: pd.Timestamp | None) -> pd.DataFrame:
    """One canonical death per notification whose nature (as notified) is death."""
    raw = frames["notifications"]
    died = raw.loc[raw["nature"] == DEATH]
    where = locations(died[FILE_COLUMN], died[LINE_COLUMN])
    ids = record_ids(died["sin_id"], where)
    return death_records(
        source="csprp",
        record_id=ids,
        child_id=died["child_id"],
        child_key=died["child_id"].astype(object).where(died["child_id"].notna(), ids),
        location=where,
        birth_date=died["date_of_birth"],
        death_date=died["incident_date"],
        age_when_no_birth_date=died["age_years"],
        sex=normalise_sex(died["sex"]),
        la_code=to_ons_code(died["la_code"]),
        status=_csprp_status(died),
        cpp_at_death=(died["cpp"] == "current").astype("boolean"),
        category=died["likely_cause"],
        abuse_neglect=died["abuse_neglect"].isin(("known", "suspected")).astype("boolean"),
        reference_date=reference_date,
        headline_date=parse_dates(died["notification_date"]).values,  # SIN statistics count by notification
    )
