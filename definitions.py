"""The project's single definitions of 'age at death', 'unborn', 'over 17' and 'in scope'.

Every check, bridge and report calls these; nothing else re-derives them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADULT_AGE = 18  # a child is under 18 (Children Act 1989 s.105)

SOCIAL_CARE_STATUSES = ("LAC", "CPP", "CIN", "OTHER_KNOWN", "PREVIOUS", "NEVER", "UNKNOWN")
KNOWN_TO_SOCIAL_CARE_AT_DEATH = ("LAC", "CPP", "CIN", "OTHER_KNOWN")


def age_in_completed_years(date_of_birth: pd.Series, date_of_death: pd.Series) -> pd.Series:
    """Whole years from birth to death; negative when death precedes birth; <NA> if either is missing."""
    born = pd.DatetimeIndex(date_of_birth)
    died = pd.DatetimeIndex(date_of_death)
    years = died.year.to_numpy(dtype="float64") - born.year.to_numpy(dtype="float64")
    before_birthday = (died.month < born.month) | ((died.month == born.month) & (died.day < born.day))
    years = years - np.where(before_birthday, 1, 0)
    return pd.Series(years, index=date_of_birth.index).astype("Int64")


def is_unborn(birth_date_blank: pd.Series, expected_birth_date_blank: pd.Series) -> pd.Series:
    """DfE guidance: an unborn child carries an expected birth date and no birth date."""
    return (birth_date_blank & ~expected_birth_date_blank).astype(bool)


def is_adult_at_death(age_at_death: pd.Series) -> pd.Series:
    return (age_at_death >= ADULT_AGE).fillna(False).astype(bool)


def is_dated_before_birth(age_at_death: pd.Series) -> pd.Series:
    return (age_at_death < 0).fillna(False).astype(bool)


def is_in_scope_death(deaths: pd.DataFrame) -> pd.Series:
    """The harmonised definition: live-born, died before 18, with a known date of death after birth."""
    age = deaths["age_at_death"]
    return (
        ~deaths["unborn"].astype(bool) & ~is_adult_at_death(age) & ~is_dated_before_birth(age) & deaths["date_of_death"].notna()
    )
