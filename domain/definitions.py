"""The project's single definitions of 'age at death', 'unborn', 'over 17' and 'in scope'.

Every check, bridge and report calls these; nothing else re-derives them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ADULT_AGE = 18  # a child is under 18 (Children Act 1989 s.105)

SOCIAL_CARE_STATUSES = ("LAC", "CPP", "CIN", "OTHER_KNOWN", "PREVIOUS", "NEVER", "UNKNOWN")
KNOWN_TO_SOCIAL_CARE_AT_DEATH = ("LAC", "CPP", "CIN", "OTHER_KNOWN")

# The one sex-code table: every code any source writes, and what it means (M, F or U).
# CIN GenderCurrent: 1 male, 2 female, 0 not recorded or unborn, 9 indeterminate (before 2024-25);
# CIN Sex and SSDA903 SEX: M, F, U from 2024-25, 1/2 before; NCMD and CSPRP extracts: M, F, U.
SEX_MEANINGS = {"M": "M", "F": "F", "U": "U", "1": "M", "2": "F", "0": "U", "9": "U"}
SEX_LETTERS = ("M", "F", "U")
SEX_NUMBERS = {"M": "1", "F": "2", "U": "0"}  # how the numeric codes of earlier years write each sex
GENDER_CURRENT_CODES = ("0", "1", "2", "9")  # CIN GenderCurrent, before 2024-25
LETTERS_OR_NUMBERS = ("M", "F", "U", "1", "2")  # CIN Sex and SSDA903 SEX accept both conventions


def normalise_sex(raw: pd.Series) -> pd.Series:
    """Any source's sex code as M, F or U; anything unknown is U."""
    return raw.astype("string").str.strip().str.upper().map(SEX_MEANINGS).fillna("U").astype(object)


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
