"""The canonical death-record frame: one row per death, the same columns for every source.

Readers hand over raw strings; `death_records` parses dates once and derives age, unborn and
the date-of-death state through domain/definitions.py, so every source gets identical semantics.
"""

from __future__ import annotations

import pandas as pd

from ..domain.dates import DATE_DTYPE, parse_dates
from ..domain.definitions import age_in_completed_years, is_unborn

COLUMNS = (
    "source",
    "record_id",
    "child_id",
    "child_key",
    "la_code",
    "sex",
    "date_of_birth",
    "expected_date_of_birth",
    "date_of_death",
    "age_at_death",
    "status",
    "cpp_at_death",
    "category",
    "abuse_neglect",
    "unborn",
    "death_date_state",
    "reference_date",
    "headline_date",
    "location",
    "nature",  # what the source recorded: always "death" here (the CSPRP also notifies serious harm)
)
def locations(files: pd.Series, lines: pd.Series, paths: pd.Series | None = None) -> pd.Series:
    """`file:line`, and the element path after it where an XML reader gave one (schemas/base.py PATH_COLUMN)."""
    where = files.astype(str) + ":" + lines.astype("Int64").astype(str)
    if paths is None:
        return where
    return where.where(paths.isna(), where + " " + paths.astype(str))


def record_ids(ids: pd.Series, where: pd.Series) -> pd.Series:
    """A record with no id of its own is named by where it is, so it can still be found."""
    return ids.astype(object).where(ids.notna(), where)


def death_records(
    *,
    source: str,
    record_id: pd.Series,
    child_key: pd.Series,
    location: pd.Series,
    birth_date: pd.Series,
    death_date: pd.Series,
    sex: pd.Series,
    la_code: pd.Series,
    status: pd.Series,
    reference_date: pd.Series | pd.Timestamp | None,
    expected_birth_date: pd.Series | None = None,
    child_id: pd.Series | None = None,
    cpp_at_death: pd.Series | None = None,
    category: pd.Series | None = None,
    abuse_neglect: pd.Series | None = None,
    age_when_no_birth_date: pd.Series | None = None,
    headline_date: pd.Series | None = None,
    nature: pd.Series | None = None,
) -> pd.DataFrame:
    """`headline_date` is the date the source counts a death by in its own headline (defaults to death)."""
    index = record_id.index
    empty = pd.Series(None, index=index, dtype=object)
    births = parse_dates(birth_date)
    deaths = parse_dates(death_date)
    expected = parse_dates(expected_birth_date if expected_birth_date is not None else empty)
    age = age_in_completed_years(births.values, deaths.values)
    if age_when_no_birth_date is not None:
        text = age_when_no_birth_date.astype("string").str.strip()
        whole_years = text.where(text.str.fullmatch(r"\d{1,3}").fillna(False))
        stated = pd.to_numeric(whole_years)
        age = age.fillna(stated.astype("Int64"))
    state = pd.Series("recorded", index=index, dtype=object)
    state[deaths.blank] = "blank"
    state[deaths.unreadable] = "unreadable"
    if isinstance(reference_date, pd.Series):
        reference = reference_date.astype(DATE_DTYPE)
    else:
        reference = pd.Series(reference_date, index=index).astype(DATE_DTYPE)
    frame = pd.DataFrame(
        {
            "source": source,
            "record_id": record_id.astype(object),
            "child_id": child_id if child_id is not None else empty,
            "child_key": child_key.astype(object),
            "la_code": la_code,
            "sex": sex,
            "date_of_birth": births.values,
            "expected_date_of_birth": expected.values,
            "date_of_death": deaths.values,
            "age_at_death": age,
            "status": status,
            "cpp_at_death": cpp_at_death if cpp_at_death is not None else pd.Series(pd.NA, index=index, dtype="boolean"),
            "category": category if category is not None else empty,
            "abuse_neglect": abuse_neglect if abuse_neglect is not None else pd.Series(pd.NA, index=index, dtype="boolean"),
            "unborn": is_unborn(births.blank, expected.blank),
            "death_date_state": state,
            "reference_date": reference,
            "headline_date": deaths.values if headline_date is None else headline_date.astype(DATE_DTYPE),
            "location": location,
            "nature": nature.astype(object) if nature is not None else pd.Series("death", index=index, dtype=object),
        },
        index=index,
    )
    return frame.reset_index(drop=True)[list(COLUMNS)]
