"""SSDA903 header + episodes -> canonical deaths: one death per episode ceased with REC=E2.

The return has no date-of-death field: for E2, DEC (the date the episode ceased) is the date of death.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..domain.definitions import normalise_sex
from ..domain.geography import to_ons_code
from ..schemas.base import FILE_COLUMN, LINE_COLUMN, PATH_COLUMN
from ..schemas.ssda903 import DIED, LA_COLUMN
from .records import death_records, locations


def ssda903_deaths(
    frames: Mapping[str, pd.DataFrame], la_code: str | None, reference_date: pd.Timestamp | None
) -> pd.DataFrame:
    episodes, header = frames["episodes"], frames["header"]
    died = episodes.loc[episodes["REC"] == DIED]
    header = header.drop_duplicates("CHILD")
    header_columns = ["CHILD", "SEX", "DOB"] + ([LA_COLUMN] if LA_COLUMN in header else [])
    joined = died.drop(columns=[c for c in ("SEX", "DOB") if c in died]).merge(
        header[header_columns], on="CHILD", how="left", suffixes=("", "_header")
    )
    joined.index = died.index
    declared = pd.Series(la_code, index=joined.index, dtype=object)
    declared = to_ons_code(declared) if la_code else declared
    # A child's own LA (the LA column, or an XML return's HEADER/LA), else the declared `la_code:`.
    la = to_ons_code(joined[LA_COLUMN]).where(joined[LA_COLUMN].notna(), declared) if LA_COLUMN in joined else declared
    return death_records(
        source="ssda903",
        record_id=joined["CHILD"],
        child_key=joined["CHILD"].astype(str),
        location=locations(joined[FILE_COLUMN], joined[LINE_COLUMN], joined.get(PATH_COLUMN)),
        birth_date=joined["DOB"],
        death_date=joined["DEC"],
        sex=normalise_sex(joined["SEX"]),
        la_code=la,
        status=pd.Series("LAC", index=joined.index),
        reference_date=reference_date,
    )
